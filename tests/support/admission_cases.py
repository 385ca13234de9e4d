"""One table of malformed and edge-case AdobeOAuthCredentials for the admission rules.

Used twice: on the real API server (tests/e2e/test_admission.py) and through the operator's own
check (tests/unit/rotation/test_validation.py), which must reject each malformed case with the
same message. A case's `spec` is merged over BASE_SPEC key by key (a section given replaces the
base's section); `expected` is a substring of the message a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adobe_oauth_operator.rotation import validation as v

BASE_NAME = "payments"
BASE_SPEC: dict[str, Any] = {
    "orgId": "1234567",
    "credentialId": "7654321",
    "secretName": "adobe-creds",
}
CLIENT_ID = "0123456789abcdef0123456789abcdef"
OTHER_CLIENT_ID = "fedcba9876543210fedcba9876543210"  # not a substring of any message's example
# Shaped like an Adobe client secret: a user pasting it into clientId must not see it echoed.
SECRET_LIKE = "p8e-Zq3xV9tLw0aR7mKc2YbN5sHj1uDf4GiE"


@dataclass(frozen=True)
class Case:
    id: str
    spec: dict[str, Any]
    expected: str = ""  # empty for the valid cases
    name: str = BASE_NAME
    secret_values: tuple[str, ...] = field(default=())  # must not appear in the rejection

    def full_spec(self) -> dict[str, Any]:
        return {**BASE_SPEC, **self.spec}


def _durations(f: v.DurationField, *rows: tuple[str, str]) -> list[Case]:
    return [
        Case(f"{f.key} {value or 'empty'}", {f.section: {f.key: value}}, expected)
        for value, expected in rows
    ]


def _rot(**values: str) -> dict[str, Any]:
    return {"rotation": values}


def _window(**values: Any) -> dict[str, Any]:
    window = {"days": ["Mon", "Tue"], "start": "09:00", "end": "16:00", "timeZone": "Europe/Berlin"}
    return {"rotation": {"interval": "720h", "window": {**window, **values}}}


INTERVAL, DRAIN, MAX_WAIT = v.INTERVAL, v.DRAIN_PERIOD, v.MAX_WAIT
CHECK, TIMEOUT = v.CHECK_INTERVAL, v.ROLLOUT_TIMEOUT


def _min(f: v.DurationField) -> str:
    assert f.min_message is not None
    return f.min_message


MALFORMED: list[Case] = [
    # -- rotation.interval: on demand (empty), or 1m .. 87600h and longer than drainPeriod -------
    *_durations(
        INTERVAL,
        ("1ms", _min(INTERVAL)),
        ("0s", _min(INTERVAL)),
        ("59s", _min(INTERVAL)),
        ("59.999s", _min(INTERVAL)),
        ("100000000h", INTERVAL.max_message),
        ("99999999999h", INTERVAL.max_message),
        ("87601h", INTERVAL.max_message),
        ("87600h1ms", INTERVAL.max_message),
        ("5256001m", INTERVAL.max_message),
        ("9999999999999999999999s", INTERVAL.max_message),
        ("30", INTERVAL.format_message),
        ("1d", INTERVAL.format_message),
        ("-5m", INTERVAL.format_message),
        ("1h 30m", INTERVAL.format_message),
        ("P30D", INTERVAL.format_message),
        ("1.h", INTERVAL.format_message),
    ),
    Case(
        "interval 10m under the default drainPeriod",
        _rot(interval="10m"),
        v.INTERVAL_VS_DRAIN_MESSAGE,
    ),
    Case(
        "interval equal to the default drainPeriod",
        _rot(interval="24h"),
        v.INTERVAL_VS_DRAIN_MESSAGE,
    ),
    Case(
        "interval 1h under drainPeriod 2h",
        _rot(interval="1h", drainPeriod="2h", maxWait="24h"),
        v.INTERVAL_VS_DRAIN_MESSAGE,
    ),
    Case(
        "interval 1m with drainPeriod 1m",
        _rot(interval="1m", drainPeriod="1m"),
        v.INTERVAL_VS_DRAIN_MESSAGE,
    ),
    # -- rotation.drainPeriod ---------------------------------------------------------------------
    *_durations(
        DRAIN,
        ("15 minutes", DRAIN.format_message),
        ("", DRAIN.format_message),
        ("100000000h", DRAIN.max_message),
        ("87601h", DRAIN.max_message),
    ),
    Case(
        "drainPeriod 73h over the default maxWait",
        _rot(drainPeriod="73h"),
        v.DRAIN_VS_MAX_WAIT_MESSAGE,
    ),
    Case(
        "drainPeriod 2h over maxWait 1h",
        _rot(drainPeriod="2h", maxWait="1h"),
        v.DRAIN_VS_MAX_WAIT_MESSAGE,
    ),
    Case(
        "maxWait 10m under the default drainPeriod",
        _rot(maxWait="10m"),
        v.DRAIN_VS_MAX_WAIT_MESSAGE,
    ),
    Case("maxWait 0s", _rot(maxWait="0s"), v.DRAIN_VS_MAX_WAIT_MESSAGE),
    # -- rotation.maxWait -------------------------------------------------------------------------
    *_durations(
        MAX_WAIT,
        ("100000000h", MAX_WAIT.max_message),
        ("99999999999h", MAX_WAIT.max_message),
        ("1y", MAX_WAIT.format_message),
        ("24 h", MAX_WAIT.format_message),
        ("1e3s", MAX_WAIT.format_message),
    ),
    # -- rotation.checkInterval -------------------------------------------------------------------
    *_durations(
        CHECK,
        ("0s", _min(CHECK)),
        ("500ms", _min(CHECK)),
        ("999ms", _min(CHECK)),
        ("0.5s", _min(CHECK)),
        ("100000000h", CHECK.max_message),
        ("abc", CHECK.format_message),
    ),
    # -- rollout.timeout --------------------------------------------------------------------------
    *_durations(
        TIMEOUT,
        ("0s", _min(TIMEOUT)),
        ("10ms", _min(TIMEOUT)),
        ("99999999999h", TIMEOUT.max_message),
        ("87600h0m1s", TIMEOUT.max_message),
        ("forever", TIMEOUT.format_message),
    ),
    # -- rotation.window -------------------------------------------------------------------------
    *[
        Case(f"window {key} {value!r}", _window(**{key: value}), v.window_time_message(key))
        for key, value in (
            ("start", "9:00"),
            ("start", "24:00"),
            ("start", "09:60"),
            ("start", "09:00:00"),
            ("end", "4pm"),
            ("end", ""),
            ("end", "23:5"),
        )
    ],
    Case(
        "window start equals end", _window(start="09:00", end="09:00"), v.WINDOW_START_END_MESSAGE
    ),
    Case("window without days", _window(days=[]), v.WINDOW_DAYS_MESSAGE),
    Case("window timeZone empty", _window(timeZone=""), v.WINDOW_TIME_ZONE_MESSAGE),
    # -- secretKeys -------------------------------------------------------------------------------
    Case(
        "secretKeys equal",
        {"secretKeys": {"clientId": "KEY", "clientSecret": "KEY"}},
        v.SECRET_KEYS_DISTINCT_MESSAGE,
    ),
    Case(
        "secretKeys.clientId is the default clientSecret key",
        {"secretKeys": {"clientId": "ADOBE_CLIENT_SECRET"}},
        v.SECRET_KEYS_DISTINCT_MESSAGE,
    ),
    Case(
        "secretKeys.clientSecret is the default clientId key",
        {"secretKeys": {"clientSecret": "ADOBE_CLIENT_ID"}},
        v.SECRET_KEYS_DISTINCT_MESSAGE,
    ),
    Case(
        "secretKeys.clientId .", {"secretKeys": {"clientId": "."}}, v.secret_key_message("clientId")
    ),
    Case(
        "secretKeys.clientSecret ..",
        {"secretKeys": {"clientSecret": ".."}},
        v.secret_key_message("clientSecret"),
    ),
    Case(
        "secretKeys.clientId starting with ..",
        {"secretKeys": {"clientId": "..data"}},
        v.secret_key_message("clientId"),
    ),
    Case(
        "secretKeys.clientId with a space",
        {"secretKeys": {"clientId": "client id"}},
        v.secret_key_message("clientId"),
    ),
    Case(
        "secretKeys.clientSecret with a slash",
        {"secretKeys": {"clientSecret": "adobe/secret"}},
        v.secret_key_message("clientSecret"),
    ),
    # -- secretName -------------------------------------------------------------------------------
    *[
        Case(f"secretName {name!r}", {"secretName": name}, v.SECRET_NAME_MESSAGE)
        for name in (
            "a..b",
            "a.-b",
            "a-.b",
            "-creds",
            "creds-",
            ".creds",
            "creds.",
            "Creds",
            "creds_1",
            "cred$",
        )
    ],
    Case(
        "secretName is the pending Secret",
        {"secretName": "payments-pending"},
        v.PENDING_NAME_MESSAGE,
    ),
    Case(
        "secretName is the pending Secret of a dotted name",
        {"secretName": "team.payments-pending"},
        v.PENDING_NAME_MESSAGE,
        name="team.payments",
    ),
    Case(
        "secretName is the known-good copy",
        {"secretName": "payments-known-good"},
        v.KNOWN_GOOD_NAME_MESSAGE,
    ),
    # -- rollout.targets --------------------------------------------------------------------------
    *[
        Case(
            f"target name {name!r}",
            {"rollout": {"targets": [{"kind": kind, "name": name}]}},
            v.TARGET_NAME_MESSAGE,
        )
        for kind, name in (
            ("Deployment", "a..b"),
            ("Deployment", "Web"),
            ("StatefulSet", "web_1"),
            ("DaemonSet", "-agent"),
            ("Deployment", "web."),
        )
    ],
    Case(
        "second target name invalid",
        {
            "rollout": {
                "targets": [
                    {"kind": "Deployment", "name": "web"},
                    {"kind": "Deployment", "name": "api v2"},
                ]
            }
        },
        v.TARGET_NAME_MESSAGE,
    ),
    # -- clientId ---------------------------------------------------------------------------------
    *[
        Case(f"clientId {why}", {"clientId": value}, v.CLIENT_ID_MESSAGE, secret_values=(value,))
        for why, value in (
            ("with dots and underscores", "abc123_x.y-z"),
            ("31 hex characters", OTHER_CLIENT_ID[:-1]),
            ("33 hex characters", OTHER_CLIENT_ID + "0"),
            ("with a g", OTHER_CLIENT_ID[:-1] + "g"),
            ("shaped like a client secret", SECRET_LIKE),
            ("a uuid", "01234567-89ab-cdef-0123-456789abcdef"),
        )
    ],
    # -- orgId / credentialId ---------------------------------------------------------------------
    Case("orgId not numeric", {"orgId": "my-org"}, v.ORG_ID_MESSAGE),
    Case("orgId empty", {"orgId": ""}, v.ORG_ID_MESSAGE),
    Case("orgId the IMS org id", {"orgId": "1234567ABCDEF@AdobeOrg"}, v.ORG_ID_MESSAGE),
    Case("credentialId with a letter", {"credentialId": "12a"}, v.CREDENTIAL_ID_MESSAGE),
    # -- accessToken: a Secret of its own, a valid key that is not the expiry's, a bounded margin --
    Case(
        "accessToken.secretName is spec.secretName",
        {"accessToken": {"secretName": "adobe-creds"}},
        v.TOKEN_SECRET_DISTINCT_MESSAGE,
    ),
    Case(
        "accessToken.secretName is the pending Secret",
        {"accessToken": {"secretName": f"{BASE_NAME}-pending"}},
        v.TOKEN_SECRET_PENDING_MESSAGE,
    ),
    Case(
        "accessToken.secretName is the known-good copy",
        {"accessToken": {"secretName": f"{BASE_NAME}-known-good"}},
        v.TOKEN_SECRET_KNOWN_GOOD_MESSAGE,
    ),
    Case(
        "accessToken.secretName uppercase",
        {"accessToken": {"secretName": "Adobe-Token"}},
        v.TOKEN_SECRET_NAME_MESSAGE,
    ),
    Case(
        "accessToken.key is the expiry's key",
        {"accessToken": {"secretName": "t", "key": "ADOBE_ACCESS_TOKEN_EXPIRES_AT"}},
        v.TOKEN_KEY_RESERVED_MESSAGE,
    ),
    Case(
        "accessToken.key with a slash",
        {"accessToken": {"secretName": "t", "key": "a/b"}},
        v.TOKEN_KEY_MESSAGE,
    ),
    Case(
        "accessToken.refreshBefore without unit",
        {"accessToken": {"secretName": "t", "refreshBefore": "3600"}},
        v.REFRESH_BEFORE_FORMAT_MESSAGE,
    ),
    Case(
        "accessToken.refreshBefore over a day",
        {"accessToken": {"secretName": "t", "refreshBefore": "24h1s"}},
        v.REFRESH_BEFORE_MAX_MESSAGE,
    ),
    Case(
        "accessToken.refreshBefore huge",
        {"accessToken": {"secretName": "t", "refreshBefore": "99999999999h"}},
        v.REFRESH_BEFORE_MAX_MESSAGE,
    ),
    # -- accessToken: a vended token cannot manage client secrets without the explicit opt-in ----
    *[
        Case(
            f"accessToken.scopes with {scope}",
            {"accessToken": {"secretName": "t", "scopes": ["AdobeID", scope]}},
            v.TOKEN_MANAGEMENT_SCOPES_MESSAGE,
        )
        for scope in ("read_client_secret", "manage_client_secrets", "Manage_Client_Secrets")
    ],
    Case(
        "accessToken.scopes with management and allowSecretManagement false",
        {
            "accessToken": {
                "secretName": "t",
                "scopes": ["manage_client_secrets"],
                "allowSecretManagement": False,
            }
        },
        v.TOKEN_MANAGEMENT_SCOPES_MESSAGE,
    ),
    Case(
        "accessToken inheriting nothing but the management scopes",
        {
            "scopes": ["read_client_secret", "manage_client_secrets"],
            "accessToken": {"secretName": "t"},
        },
        v.TOKEN_NO_SCOPES_MESSAGE,
    ),
]

VALID: list[Case] = [
    Case("accessToken minimal", {"accessToken": {"secretName": "adobe-token"}}),
    Case(
        "accessToken in full",
        {
            "accessToken": {
                "secretName": "adobe-token",
                "key": "token.txt",
                "scopes": ["openid", "AdobeID"],
                "refreshBefore": "24h",
            }
        },
    ),
    Case(
        "accessToken allowed to manage secrets",
        {
            "accessToken": {
                "secretName": "adobe-token",
                "scopes": ["AdobeID", "read_client_secret", "manage_client_secrets"],
                "allowSecretManagement": True,
            }
        },
    ),
    Case(
        "accessToken allowed to manage secrets inheriting only those scopes",
        {
            "scopes": ["read_client_secret", "manage_client_secrets"],
            "accessToken": {"secretName": "adobe-token", "allowSecretManagement": True},
        },
    ),
    Case(
        "accessToken with its own scopes beside management-only spec.scopes",
        {
            "scopes": ["read_client_secret", "manage_client_secrets"],
            "accessToken": {"secretName": "adobe-token", "scopes": ["openid"]},
        },
    ),
    Case(
        "accessToken scope merely containing a management scope's name",
        {"accessToken": {"secretName": "adobe-token", "scopes": ["read_client_secret.v2"]}},
    ),
    Case(
        "accessToken another credential's pending name",
        {"accessToken": {"secretName": "x-pending"}},
    ),
    Case("interval empty", _rot(interval="")),
    Case("interval absent", {}),
    Case("interval 1m with drainPeriod 30s", _rot(interval="1m", drainPeriod="30s")),
    Case("interval 87600h", _rot(interval="87600h")),
    Case("interval 24h0m1s just over the default drainPeriod", _rot(interval="24h0m1s")),
    Case("drainPeriod 72h equal to the default maxWait", _rot(drainPeriod="72h")),
    Case("interval 1h with a shorter drainPeriod", _rot(interval="1h", drainPeriod="15m")),
    Case("interval with leading zeros", _rot(interval="0000000000000000720h")),
    Case("interval in minutes", _rot(interval="5256000m", maxWait="87600h")),
    Case("decimal durations", _rot(interval="0.5h", drainPeriod="0.25h", maxWait="1.5h")),
    Case("drainPeriod equal to maxWait", _rot(drainPeriod="1h", maxWait="1h")),
    Case("drainPeriod and maxWait 87600h", _rot(drainPeriod="87600h", maxWait="87600h")),
    Case("drainPeriod 0s", _rot(drainPeriod="0s", maxWait="0s")),
    Case("checkInterval 1s", _rot(checkInterval="1s")),
    Case("checkInterval 1000ms", _rot(checkInterval="1000ms")),
    Case("rollout timeout 1s", {"rollout": {"timeout": "1s"}}),
    Case("window weekdays office hours", _window()),
    Case("window wrapping midnight", _window(start="22:00", end="02:00", timeZone="UTC")),
    Case("window ending at midnight", _window(start="00:00", end="23:59", days=["Sun"])),
    Case(
        "window every day (days not set)",
        {"rotation": {"window": {"start": "09:00", "end": "16:00", "timeZone": "Asia/Kolkata"}}},
    ),
    Case("clientId lowercase hex", {"clientId": CLIENT_ID}),
    Case("clientId uppercase hex", {"clientId": CLIENT_ID.upper()}),
    Case("clientId empty", {"clientId": ""}),
    Case("secretName dotted", {"secretName": "adobe.creds-1.v2"}),
    Case("secretName 253 characters", {"secretName": ".".join(["a" * 63] * 4)[:253]}),
    Case("secretName another credential's pending name", {"secretName": "other-pending"}),
    Case("secretName another credential's known-good name", {"secretName": "other-known-good"}),
    Case("onDrift Report", {"rotation": {"onDrift": "Report"}}),
    Case("secretKeys with dots", {"secretKeys": {"clientId": "id.txt", "clientSecret": ".secret"}}),
    Case(
        "targets dotted",
        {
            "rollout": {
                "targets": [
                    {"kind": "StatefulSet", "name": "db.v2"},
                    {"kind": "DaemonSet", "name": "a"},
                    {"kind": "Rollout", "name": "canary"},
                ]
            }
        },
    ),
]
