"""The CRD's admission rules, checked again by the operator (the installed CRD may be older).

Every rule here is a CEL `x-kubernetes-validations` rule in
crds/adobe-oauth-operator.dev_adobeoauthcredentials.yaml with the same message text and the same
regular expressions (a unit test compares them), so a user sees the same words whether the API
server or the operator rejects a resource. Pure: no Kubernetes, kopf or HTTP imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adobe_oauth_operator.names import EXPIRES_AT_KEY, KNOWN_GOOD_SUFFIX, PENDING_SUFFIX
from adobe_oauth_operator.rotation.durations import (
    MAX_DURATION_TEXT,
    InvalidDuration,
    duration_nanoseconds,
)
from adobe_oauth_operator.rotation.window import DAY_NAMES, TIME_OF_DAY

__all__ = [
    "CLIENT_ID_MESSAGE",
    "DNS_SUBDOMAIN",
    "DURATION_BOUNDED",
    "DURATION_FIELDS",
    "DURATION_FORMAT",
    "DURATION_MAX_LENGTH",
    "MESSAGES",
    "SECRET_MANAGEMENT_SCOPES",
    "TIME_OF_DAY",
    "client_id_problem",
    "is_secret_management_scope",
    "spec_problems",
]

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
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_NS = {"1m": 60 * 10**9, "1s": 10**9, MAX_DURATION_TEXT: 87600 * 3600 * 10**9}


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
_SECRET_KEY_EXAMPLES = {"clientId": "ADOBE_CLIENT_ID", "clientSecret": "ADOBE_CLIENT_SECRET"}


def secret_key_message(key: str) -> str:
    return (
        f"spec.secretKeys.{key} must be a valid Secret key: letters, digits, '-', '_' and '.',"
        f" at most 253 characters, not '.' and not starting with '..', e.g."
        f" {_SECRET_KEY_EXAMPLES[key]}"
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


# -- checks -------------------------------------------------------------------------------------
def is_secret_management_scope(scope: str) -> bool:
    """Whether `scope` names read_client_secret or manage_client_secrets, in any ASCII case.

    Lowered like CEL's lowerAscii() in the CRD's rule: non-ASCII letters are left alone.
    """
    lowered = scope.translate(_ASCII_LOWER) if isinstance(scope, str) else scope
    return lowered in SECRET_MANAGEMENT_SCOPES


def client_id_problem(value: str) -> str | None:
    """Why `value` cannot be an Adobe client id, or None; the message never contains the value.

    Also meant for client ids read from a Secret: a client secret stored under the client id's key
    must not reach a log line, an event or an HTTP request as if it were an id.
    """
    if isinstance(value, str) and re.fullmatch(CLIENT_ID, value):
        return None
    return (
        "the client id must be exactly 32 hexadecimal characters, e.g."
        " 0123456789abcdef0123456789abcdef (the value is not shown: it may be a client secret"
        " stored under the client id's key)"
    )


def spec_problems(name: str, raw_spec: Mapping[str, Any]) -> list[str]:
    """Every admission rule `raw_spec` (of the resource called `name`) breaks, as messages."""
    problems: list[str] = []
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, Mapping) else {}

    for field, message in (("orgId", ORG_ID_MESSAGE), ("credentialId", CREDENTIAL_ID_MESSAGE)):
        value = spec.get(field)
        if value is None:
            problems.append(f"spec.{field} is required")
        elif not _matches(NUMERIC_ID, value):
            problems.append(message)

    client_id = spec.get("clientId")
    if client_id not in (None, "") and client_id_problem(client_id) is not None:
        problems.append(CLIENT_ID_MESSAGE)

    secret_name = spec.get("secretName")
    if secret_name is None:
        problems.append("spec.secretName is required")
    elif not _dns_subdomain(secret_name):
        problems.append(SECRET_NAME_MESSAGE)
    elif secret_name == f"{name}{PENDING_SUFFIX}":
        problems.append(PENDING_NAME_MESSAGE)
    elif secret_name == f"{name}{KNOWN_GOOD_SUFFIX}":
        problems.append(KNOWN_GOOD_NAME_MESSAGE)

    problems += _secret_key_problems(_section(spec, "secretKeys"))
    problems += _duration_problems(spec)
    if "window" in _section(spec, "rotation"):
        problems += _window_problems(_section(spec, "rotation").get("window"))

    targets = _section(spec, "rollout").get("targets") or ()
    if any(not isinstance(t, Mapping) or not _dns_subdomain(t.get("name")) for t in targets):
        problems.append(TARGET_NAME_MESSAGE)
    if isinstance(spec.get("accessToken"), Mapping):
        problems += _access_token_problems(name, spec)
    return problems


_MAX_REFRESH_BEFORE_NS = 24 * 3600 * 10**9


def _access_token_problems(name: str, spec: Mapping[str, Any]) -> list[str]:
    problems = []
    section = _section(spec, "accessToken")
    token_secret = section.get("secretName")
    if token_secret is None:
        problems.append("spec.accessToken.secretName is required")
    elif not _dns_subdomain(token_secret):
        problems.append(TOKEN_SECRET_NAME_MESSAGE)
    elif token_secret == spec.get("secretName"):
        problems.append(TOKEN_SECRET_DISTINCT_MESSAGE)
    elif token_secret == f"{name}{PENDING_SUFFIX}":
        problems.append(TOKEN_SECRET_PENDING_MESSAGE)
    elif token_secret == f"{name}{KNOWN_GOOD_SUFFIX}":
        problems.append(TOKEN_SECRET_KNOWN_GOOD_MESSAGE)
    key = section.get("key")
    if key is not None:
        if not _secret_key(key):
            problems.append(TOKEN_KEY_MESSAGE)
        elif key == EXPIRES_AT_KEY:
            problems.append(TOKEN_KEY_RESERVED_MESSAGE)
    refresh = section.get("refreshBefore")
    if refresh is not None:
        if not (_matches(DURATION_FORMAT, refresh) and len(refresh) <= DURATION_MAX_LENGTH):
            problems.append(REFRESH_BEFORE_FORMAT_MESSAGE)
        else:
            ns = _bounded_ns(refresh)
            if ns is None or ns > _MAX_REFRESH_BEFORE_NS:
                problems.append(REFRESH_BEFORE_MAX_MESSAGE)
    problems += _token_scope_problems(spec, section)
    return problems


def _token_scope_problems(spec: Mapping[str, Any], section: Mapping[str, Any]) -> list[str]:
    """A vended token never carries the secret management scopes without the explicit opt-in."""
    if section.get("allowSecretManagement") is True:
        return []
    scopes = section.get("scopes")
    if isinstance(scopes, list | tuple) and scopes:
        if any(is_secret_management_scope(s) for s in scopes):
            return [TOKEN_MANAGEMENT_SCOPES_MESSAGE]
        return []
    inherited = spec.get("scopes")
    if not isinstance(inherited, list | tuple) or not inherited:
        return []  # the CRD's default, which holds other scopes
    if all(is_secret_management_scope(s) for s in inherited):
        return [TOKEN_NO_SCOPES_MESSAGE]
    return []


def _secret_key_problems(keys: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("clientId", "clientSecret"):
        value = keys.get(key)
        if value is not None and not (
            _matches(SECRET_KEY, value)
            and len(value) <= 253
            and value != "."
            and not value.startswith("..")
        ):
            problems.append(secret_key_message(key))
    client_id_key = keys.get("clientId", _SECRET_KEY_EXAMPLES["clientId"])
    if client_id_key == keys.get("clientSecret", _SECRET_KEY_EXAMPLES["clientSecret"]):
        problems.append(SECRET_KEYS_DISTINCT_MESSAGE)
    return problems


def _duration_problems(spec: Mapping[str, Any]) -> list[str]:
    problems = []
    for f in DURATION_FIELDS:
        value = _section(spec, f.section).get(f.key)
        if value is None or (value == "" and f.default is None):
            continue  # the CRD's default applies, or (interval) on demand only
        if not (_matches(DURATION_FORMAT, value) and len(value) <= DURATION_MAX_LENGTH):
            problems.append(f.format_message)
            continue
        ns = _bounded_ns(value)
        if ns is None or ns > _NS[MAX_DURATION_TEXT]:
            problems.append(f.max_message)
        elif f.minimum is not None and f.min_message is not None and ns < _NS[f.minimum]:
            problems.append(f.min_message)

    rotation = _section(spec, "rotation")
    interval = rotation.get("interval")
    drain = rotation.get("drainPeriod", DRAIN_PERIOD.default)
    max_wait = rotation.get("maxWait", MAX_WAIT.default)
    if isinstance(interval, str) and interval:
        interval_ns, drain_ns = _bounded_ns(interval), _bounded_ns(drain)
        if interval_ns is not None and drain_ns is not None and interval_ns <= drain_ns:
            problems.append(INTERVAL_VS_DRAIN_MESSAGE)
    drain_ns, max_wait_ns = _bounded_ns(drain), _bounded_ns(max_wait)
    if drain_ns is not None and max_wait_ns is not None and drain_ns > max_wait_ns:
        problems.append(DRAIN_VS_MAX_WAIT_MESSAGE)
    return problems


def _window_problems(window: Any) -> list[str]:
    if not isinstance(window, Mapping):
        return ["spec.rotation.window must be an object with days, start, end and timeZone"]
    problems = [
        f"spec.rotation.window.{k} is required"
        for k in ("start", "end", "timeZone")
        if k not in window
    ]
    days = window.get("days", DAY_NAMES)
    if not isinstance(days, list | tuple) or not days or any(d not in DAY_NAMES for d in days):
        problems.append(WINDOW_DAYS_MESSAGE)
    for key in ("start", "end"):
        if key in window and not _matches(TIME_OF_DAY, window[key]):
            problems.append(window_time_message(key))
    if "start" in window and window.get("start") == window.get("end"):
        problems.append(WINDOW_START_END_MESSAGE)
    zone = window.get("timeZone")
    if "timeZone" in window and not (isinstance(zone, str) and zone):
        problems.append(WINDOW_TIME_ZONE_MESSAGE)
    return problems


def _bounded_ns(value: Any) -> int | None:
    """Nanoseconds of a duration matching DURATION_BOUNDED (the rules compute with no other)."""
    if not _matches(DURATION_BOUNDED, value):
        return None
    try:
        return duration_nanoseconds(value)
    except InvalidDuration:  # pragma: no cover - DURATION_BOUNDED admits no such digit count
        return None


def _secret_key(value: Any) -> bool:
    return (
        _matches(SECRET_KEY, value)
        and len(value) <= 253
        and value != "."
        and not value.startswith("..")
    )


def _section(spec: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = spec.get(name)
    return value if isinstance(value, Mapping) else {}


def _matches(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _dns_subdomain(value: Any) -> bool:
    return _matches(DNS_SUBDOMAIN, value) and len(value) <= DNS_SUBDOMAIN_MAX_LENGTH
