"""The CRD's admission rules, checked again by the operator (the installed CRD may be older).

Every rule is a CEL `x-kubernetes-validations` rule in
crds/adobe-oauth-operator.dev_adobeoauthcredentials.yaml with the same message text and the same
regular expressions (kept in rotation.admission_rules; a unit test compares them), so a user sees
the same words whether the API server or the operator rejects a resource. Pure: no Kubernetes,
kopf or HTTP imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adobe_oauth_operator.names import EXPIRES_AT_KEY, KNOWN_GOOD_SUFFIX, PENDING_SUFFIX
from adobe_oauth_operator.rotation.admission_rules import (
    CHECK_INTERVAL,
    CLIENT_ID,
    CLIENT_ID_MESSAGE,
    CREDENTIAL_ID_MESSAGE,
    DNS_SUBDOMAIN,
    DNS_SUBDOMAIN_MAX_LENGTH,
    DRAIN_PERIOD,
    DRAIN_VS_MAX_WAIT_MESSAGE,
    DURATION_BOUNDED,
    DURATION_FIELDS,
    DURATION_FORMAT,
    DURATION_MAX_LENGTH,
    INTERVAL,
    INTERVAL_VS_DRAIN_MESSAGE,
    KNOWN_GOOD_NAME_MESSAGE,
    MAX_WAIT,
    MESSAGES,
    NUMERIC_ID,
    ORG_ID_MESSAGE,
    PENDING_NAME_MESSAGE,
    REFRESH_BEFORE_FORMAT_MESSAGE,
    REFRESH_BEFORE_MAX_MESSAGE,
    ROLLOUT_TIMEOUT,
    SECRET_KEY,
    SECRET_KEY_EXAMPLES,
    SECRET_KEYS_DISTINCT_MESSAGE,
    SECRET_MANAGEMENT_SCOPES,
    SECRET_NAME_MESSAGE,
    TARGET_NAME_MESSAGE,
    TOKEN_KEY_MESSAGE,
    TOKEN_KEY_RESERVED_MESSAGE,
    TOKEN_MANAGEMENT_SCOPES_MESSAGE,
    TOKEN_NO_SCOPES_MESSAGE,
    TOKEN_SECRET_DISTINCT_MESSAGE,
    TOKEN_SECRET_KNOWN_GOOD_MESSAGE,
    TOKEN_SECRET_NAME_MESSAGE,
    TOKEN_SECRET_PENDING_MESSAGE,
    WINDOW_DAYS_MESSAGE,
    WINDOW_START_END_MESSAGE,
    WINDOW_TIME_ZONE_MESSAGE,
    DurationField,
    secret_key_message,
    window_time_message,
)
from adobe_oauth_operator.rotation.durations import (
    MAX_DURATION_TEXT,
    InvalidDuration,
    duration_nanoseconds,
)
from adobe_oauth_operator.rotation.window import DAY_NAMES, TIME_OF_DAY

__all__ = [
    "CHECK_INTERVAL",
    "CLIENT_ID",
    "CLIENT_ID_MESSAGE",
    "CREDENTIAL_ID_MESSAGE",
    "DNS_SUBDOMAIN",
    "DNS_SUBDOMAIN_MAX_LENGTH",
    "DRAIN_PERIOD",
    "DRAIN_VS_MAX_WAIT_MESSAGE",
    "DURATION_BOUNDED",
    "DURATION_FIELDS",
    "DURATION_FORMAT",
    "DURATION_MAX_LENGTH",
    "INTERVAL",
    "INTERVAL_VS_DRAIN_MESSAGE",
    "KNOWN_GOOD_NAME_MESSAGE",
    "MAX_WAIT",
    "MESSAGES",
    "NUMERIC_ID",
    "ORG_ID_MESSAGE",
    "PENDING_NAME_MESSAGE",
    "REFRESH_BEFORE_FORMAT_MESSAGE",
    "REFRESH_BEFORE_MAX_MESSAGE",
    "ROLLOUT_TIMEOUT",
    "SECRET_KEY",
    "SECRET_KEYS_DISTINCT_MESSAGE",
    "SECRET_KEY_EXAMPLES",
    "SECRET_MANAGEMENT_SCOPES",
    "SECRET_NAME_MESSAGE",
    "TARGET_NAME_MESSAGE",
    "TIME_OF_DAY",
    "TOKEN_KEY_MESSAGE",
    "TOKEN_KEY_RESERVED_MESSAGE",
    "TOKEN_MANAGEMENT_SCOPES_MESSAGE",
    "TOKEN_NO_SCOPES_MESSAGE",
    "TOKEN_SECRET_DISTINCT_MESSAGE",
    "TOKEN_SECRET_KNOWN_GOOD_MESSAGE",
    "TOKEN_SECRET_NAME_MESSAGE",
    "TOKEN_SECRET_PENDING_MESSAGE",
    "WINDOW_DAYS_MESSAGE",
    "WINDOW_START_END_MESSAGE",
    "WINDOW_TIME_ZONE_MESSAGE",
    "DurationField",
    "client_id_problem",
    "is_secret_management_scope",
    "secret_key_message",
    "spec_problems",
    "window_time_message",
]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NS = {"1m": 60 * 10**9, "1s": 10**9, MAX_DURATION_TEXT: 87600 * 3600 * 10**9}


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
    client_id_key = keys.get("clientId", SECRET_KEY_EXAMPLES["clientId"])
    if client_id_key == keys.get("clientSecret", SECRET_KEY_EXAMPLES["clientSecret"]):
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
