"""The CRD's admission rules as data: the regular expressions, duration fields and messages."""

from __future__ import annotations

from dataclasses import dataclass

from adobe_oauth_operator.names import EXPIRES_AT_KEY
from adobe_oauth_operator.rotation.durations import MAX_DURATION_TEXT

# -- the regular expressions (RE2 in CEL, `re` here; written to mean the same in both) --------
DURATION_FORMAT = "^([0-9]+([.][0-9]+)?(h|m|s|ms))+$"
# Each part small enough that CEL's duration() (int64 nanoseconds) cannot overflow even for the
# longest text the CRD admits (DURATION_MAX_LENGTH); a part with more significant digits is
# beyond 87600h on its own (100000h, 10**7 m, 10**9 s, 10**12 ms), so "not bounded" means "too
# long" and no rule ever has to compute with it.
DURATION_BOUNDED = (
    "^(0*([0-9]{1,5}([.][0-9]+)?h|[0-9]{1,7}([.][0-9]+)?m"
    "|[0-9]{1,9}([.][0-9]+)?s|[0-9]{1,12}([.][0-9]+)?ms))+$"
)
DURATION_MAX_LENGTH = 32
DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_SUBDOMAIN_MAX_LENGTH = 253
SECRET_KEY = "^[-._a-zA-Z0-9]+$"
NUMERIC_ID = "^[0-9]{1,32}$"
CLIENT_ID = "^[0-9a-fA-F]{32}$"

# The scopes that let a token list, add and delete the credential's client secrets: a vended
# token carries them only with spec.accessToken.allowSecretManagement (see docs/security.md).
SECRET_MANAGEMENT_SCOPES = ("read_client_secret", "manage_client_secrets")


@dataclass(frozen=True)
class DurationField:
    """One duration of the spec, its CRD default, an example and its minimum."""

    section: str  # rotation or rollout
    key: str
    default: str | None
    example: str
    minimum: str | None = None  # "1m" or "1s"

    @property
    def path(self) -> str:
        return f"spec.{self.section}.{self.key}"

    @property
    def format_message(self) -> str:
        if self.default is None:
            return (
                f"{self.path} must be empty (on demand only) or a duration: a number with a unit"
                f" h, m, s or ms, parts may be combined, e.g. {self.example} or 1h30m"
            )
        return (
            f"{self.path} must be a duration: a number with a unit h, m, s or ms, parts may be"
            f" combined, e.g. {self.example} or 1h30m"
        )

    @property
    def max_message(self) -> str:
        return f"{self.path} must be at most {MAX_DURATION_TEXT} (10 years), e.g. {self.example}"

    @property
    def min_message(self) -> str | None:
        if self.minimum is None:
            return None
        if self.default is None:
            return (
                f"{self.path} must be empty (on demand only) or at least {self.minimum},"
                f" e.g. {self.example}"
            )
        return f"{self.path} must be at least {self.minimum}, e.g. {self.example}"


INTERVAL = DurationField("rotation", "interval", None, "720h", "1m")
# One token lifetime (Adobe access tokens live 24h): a consumer that caches its token asks for a
# new one with the old secret up to 24h after its last use. See docs/install.md, "Draining".
DRAIN_PERIOD = DurationField("rotation", "drainPeriod", "24h", "24h")
MAX_WAIT = DurationField("rotation", "maxWait", "72h", "72h")
CHECK_INTERVAL = DurationField("rotation", "checkInterval", "60s", "60s", "1s")
ROLLOUT_TIMEOUT = DurationField("rollout", "timeout", "15m", "15m", "1s")
DURATION_FIELDS = (INTERVAL, DRAIN_PERIOD, MAX_WAIT, CHECK_INTERVAL, ROLLOUT_TIMEOUT)

# -- messages (the CRD's rules carry exactly these) ---------------------------------------------
ORG_ID_MESSAGE = (
    "spec.orgId must be the numeric organization id from the Developer Console URL"
    " .../console/projects/{orgId}/..., 1 to 32 digits, e.g. 1234567 (not the IMS org id"
    " ending in @AdobeOrg)"
)
CREDENTIAL_ID_MESSAGE = (
    "spec.credentialId must be the numeric credential id from the Developer Console URL"
    " .../credentials/{credentialId}/..., 1 to 32 digits, e.g. 7654321"
)
CLIENT_ID_MESSAGE = (
    "spec.clientId must be empty (read from the Secret) or exactly 32 hexadecimal characters,"
    " e.g. 0123456789abcdef0123456789abcdef; a client secret does not belong here"
)
SECRET_NAME_MESSAGE = (
    "spec.secretName must be a valid Secret name: at most 253 lowercase letters, digits, '-' and"
    " '.', starting and ending with a letter or digit, no '..', '.-' or '-.', e.g. adobe-creds"
)
PENDING_NAME_MESSAGE = (
    "spec.secretName must not be <metadata.name>-pending: the operator keeps a new client secret"
    " in that Secret during a rotation; choose another name, e.g. adobe-creds"
)
KNOWN_GOOD_NAME_MESSAGE = (
    "spec.secretName must not be <metadata.name>-known-good: the operator keeps its copy of the"
    " last verified client secret in that Secret; choose another name, e.g. adobe-creds"
)
TARGET_NAME_MESSAGE = (
    "spec.rollout.targets[].name must be a valid Deployment, StatefulSet or DaemonSet name: at"
    " most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit,"
    " no '..', '.-' or '-.', e.g. web"
)
SECRET_KEYS_DISTINCT_MESSAGE = (
    "spec.secretKeys.clientId and spec.secretKeys.clientSecret must be different keys of the"
    " Secret, e.g. ADOBE_CLIENT_ID and ADOBE_CLIENT_SECRET (the defaults)"
)
INTERVAL_VS_DRAIN_MESSAGE = (
    "spec.rotation.interval must be longer than spec.rotation.drainPeriod (24h when not set),"
    " e.g. interval 720h with drainPeriod 24h"
)
DRAIN_VS_MAX_WAIT_MESSAGE = (
    "spec.rotation.drainPeriod (24h when not set) must not be longer than spec.rotation.maxWait"
    " (72h when not set), e.g. drainPeriod 24h with maxWait 72h"
)
WINDOW_DAYS_MESSAGE = (
    "spec.rotation.window.days must name at least one day of the week, each one of Mon, Tue, Wed,"
    " Thu, Fri, Sat, Sun, e.g. [Mon, Tue, Wed, Thu]"
)
WINDOW_START_END_MESSAGE = (
    "spec.rotation.window.start and spec.rotation.window.end must differ: the window runs from"
    " start to end (past midnight when end is earlier), e.g. start 09:00 and end 16:00"
)
WINDOW_TIME_ZONE_MESSAGE = (
    "spec.rotation.window.timeZone must be an IANA time zone name, e.g. Europe/Berlin,"
    " America/New_York or UTC"
)
_WINDOW_EXAMPLES = {"start": "09:00", "end": "16:00"}
TOKEN_SECRET_NAME_MESSAGE = (
    "spec.accessToken.secretName must be a valid Secret name: at most 253 lowercase letters,"
    " digits, '-' and '.', starting and ending with a letter or digit, no '..', '.-' or '-.',"
    " e.g. adobe-token"
)
TOKEN_SECRET_DISTINCT_MESSAGE = (
    "spec.accessToken.secretName must differ from spec.secretName: the vended token goes into a"
    " Secret of its own that the operator creates and owns, e.g. adobe-token"
)
TOKEN_SECRET_PENDING_MESSAGE = (
    "spec.accessToken.secretName must not be <metadata.name>-pending: the operator keeps a new"
    " client secret in that Secret during a rotation; choose another name, e.g. adobe-token"
)
TOKEN_SECRET_KNOWN_GOOD_MESSAGE = (
    "spec.accessToken.secretName must not be <metadata.name>-known-good: the operator keeps its"
    " copy of the last verified client secret in that Secret; choose another name, e.g."
    " adobe-token"
)
TOKEN_KEY_MESSAGE = (
    "spec.accessToken.key must be a valid Secret key: letters, digits, '-', '_' and '.', at most"
    " 253 characters, not '.' and not starting with '..', e.g. ADOBE_ACCESS_TOKEN"
)
TOKEN_KEY_RESERVED_MESSAGE = (
    f"spec.accessToken.key must not be {EXPIRES_AT_KEY}: the operator writes the token's expiry"
    " under that key, e.g. ADOBE_ACCESS_TOKEN (the default)"
)
REFRESH_BEFORE_FORMAT_MESSAGE = (
    "spec.accessToken.refreshBefore must be a duration: a number with a unit h, m, s or ms, parts"
    " may be combined, e.g. 4h or 1h30m; leave it out to refresh when 20 % of the lifetime is left"
)
REFRESH_BEFORE_MAX_MESSAGE = (
    "spec.accessToken.refreshBefore must be at most 24h (Adobe's tokens live 24 hours), e.g. 4h"
)
TOKEN_MANAGEMENT_SCOPES_MESSAGE = (
    "spec.accessToken.scopes must not include read_client_secret or manage_client_secrets unless"
    " spec.accessToken.allowSecretManagement is true: whoever reads the token Secret could then"
    " add a client secret of their own or delete the one in use; list only the scopes your"
    " applications need, e.g. [AdobeID, openid]"
)
TOKEN_NO_SCOPES_MESSAGE = (
    "spec.accessToken.scopes must be set when spec.scopes holds nothing but read_client_secret"
    " and manage_client_secrets: a vended token leaves those two out (unless"
    " spec.accessToken.allowSecretManagement is true) and would have no scope left, e.g."
    " [AdobeID, openid]"
)
SECRET_KEY_EXAMPLES = {"clientId": "ADOBE_CLIENT_ID", "clientSecret": "ADOBE_CLIENT_SECRET"}


def secret_key_message(key: str) -> str:
    return (
        f"spec.secretKeys.{key} must be a valid Secret key: letters, digits, '-', '_' and '.',"
        f" at most 253 characters, not '.' and not starting with '..', e.g."
        f" {SECRET_KEY_EXAMPLES[key]}"
    )


def window_time_message(key: str) -> str:
    return (
        f"spec.rotation.window.{key} must be a time of day HH:MM on a 24-hour clock, 00:00 to"
        f" 23:59, e.g. {_WINDOW_EXAMPLES[key]}"
    )


MESSAGES: tuple[str, ...] = (
    ORG_ID_MESSAGE,
    CREDENTIAL_ID_MESSAGE,
    CLIENT_ID_MESSAGE,
    SECRET_NAME_MESSAGE,
    PENDING_NAME_MESSAGE,
    KNOWN_GOOD_NAME_MESSAGE,
    TARGET_NAME_MESSAGE,
    SECRET_KEYS_DISTINCT_MESSAGE,
    secret_key_message("clientId"),
    secret_key_message("clientSecret"),
    INTERVAL_VS_DRAIN_MESSAGE,
    DRAIN_VS_MAX_WAIT_MESSAGE,
    WINDOW_DAYS_MESSAGE,
    WINDOW_START_END_MESSAGE,
    WINDOW_TIME_ZONE_MESSAGE,
    window_time_message("start"),
    window_time_message("end"),
    TOKEN_SECRET_NAME_MESSAGE,
    TOKEN_SECRET_DISTINCT_MESSAGE,
    TOKEN_SECRET_PENDING_MESSAGE,
    TOKEN_SECRET_KNOWN_GOOD_MESSAGE,
    TOKEN_KEY_MESSAGE,
    TOKEN_KEY_RESERVED_MESSAGE,
    REFRESH_BEFORE_FORMAT_MESSAGE,
    REFRESH_BEFORE_MAX_MESSAGE,
    TOKEN_MANAGEMENT_SCOPES_MESSAGE,
    TOKEN_NO_SCOPES_MESSAGE,
    *(f.format_message for f in DURATION_FIELDS),
    *(f.max_message for f in DURATION_FIELDS),
    *(m for f in DURATION_FIELDS if (m := f.min_message) is not None),
)
