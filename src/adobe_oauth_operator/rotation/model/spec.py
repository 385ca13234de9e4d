"""The parsed spec of an AdobeOAuthCredential, with the CRD's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from adobe_oauth_operator.rotation.durations import parse_duration
from adobe_oauth_operator.rotation.validation import is_secret_management_scope, spec_problems
from adobe_oauth_operator.rotation.window import Window

MIN_CHECK_INTERVAL = timedelta(seconds=1)


class OnStillInUse(StrEnum):
    WAIT = "Wait"
    DELETE = "Delete"


class OnDrift(StrEnum):
    """What to do when the Secret is changed outside the operator to a value Adobe refuses."""

    ROTATE = "Rotate"
    REPORT = "Report"


@dataclass(frozen=True, order=True)
class Target:
    """A workload restarted after the Secret changes."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


DEFAULT_TOKEN_KEY = "ADOBE_ACCESS_TOKEN"


@dataclass(frozen=True)
class AccessTokenSpec:
    """spec.accessToken: vend IMS access tokens into a Secret the operator owns."""

    secret_name: str
    key: str = DEFAULT_TOKEN_KEY
    scopes: tuple[str, ...] = ()  # empty: the credential's spec.scopes
    refresh_before: timedelta | None = None  # None: when 20 % of the lifetime is left
    # Off: the token never carries read_client_secret or manage_client_secrets.
    allow_secret_management: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> AccessTokenSpec | None:
        if not raw:
            return None
        return cls(
            secret_name=_required(raw, "secretName", "spec.accessToken."),
            key=raw.get("key") or DEFAULT_TOKEN_KEY,
            scopes=tuple(raw.get("scopes") or ()),
            refresh_before=_duration(raw, "refreshBefore", None),
            allow_secret_management=raw.get("allowSecretManagement") is True,
        )


@dataclass(frozen=True)
class Spec:
    """The parsed spec; defaults mirror the CRD's so a spec written before defaulting works too."""

    org_id: str
    credential_id: str
    secret_name: str
    client_id: str | None = None
    client_id_key: str = "ADOBE_CLIENT_ID"
    client_secret_key: str = "ADOBE_CLIENT_SECRET"
    scopes: tuple[str, ...] = ()
    interval: timedelta | None = None
    # One access-token lifetime: a consumer caching its token returns to the old secret only then.
    drain_period: timedelta = timedelta(hours=24)
    max_wait: timedelta = timedelta(hours=72)
    on_still_in_use: OnStillInUse = OnStillInUse.WAIT
    on_drift: OnDrift = OnDrift.ROTATE
    check_interval: timedelta = timedelta(seconds=60)
    targets: tuple[Target, ...] = ()
    auto_discover: bool = True
    rollout_timeout: timedelta = timedelta(minutes=15)
    suspend: bool = False
    # When scheduled rotations may start; None: at any time.
    window: Window | None = None
    access_token: AccessTokenSpec | None = None

    @property
    def token_scopes(self) -> tuple[str, ...]:
        """The scopes of vended tokens: their own, else the credential's; without the opt-in,
        never the ones that manage client secrets (a reader of the token Secret could)."""
        vended = self.access_token
        scopes = vended.scopes if vended is not None and vended.scopes else self.scopes
        if vended is not None and vended.allow_secret_management:
            return scopes
        return tuple(s for s in scopes if not is_secret_management_scope(s))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], name: str | None = None) -> Spec:
        """Parse a CR spec; raise ValueError with a message naming the bad field.

        With the resource's `name`, the CRD's admission rules are checked too (the installed CRD
        may be older than the operator) and every broken rule is named, joined by "; ".
        """
        if name is not None and (problems := spec_problems(name, spec)):
            raise ValueError("; ".join(problems))
        keys = spec.get("secretKeys") or {}
        rotation = spec.get("rotation") or {}
        rollout = spec.get("rollout") or {}
        try:
            return cls(
                org_id=_required(spec, "orgId"),
                credential_id=_required(spec, "credentialId"),
                secret_name=_required(spec, "secretName"),
                client_id=spec.get("clientId") or None,
                client_id_key=keys.get("clientId") or cls.client_id_key,
                client_secret_key=keys.get("clientSecret") or cls.client_secret_key,
                scopes=tuple(spec.get("scopes") or ()),
                interval=_duration(rotation, "interval", None),
                drain_period=_duration(rotation, "drainPeriod", cls.drain_period),
                max_wait=_duration(rotation, "maxWait", cls.max_wait),
                on_still_in_use=OnStillInUse(rotation.get("onStillInUse") or "Wait"),
                on_drift=OnDrift(rotation.get("onDrift") or OnDrift.ROTATE),
                check_interval=max(
                    MIN_CHECK_INTERVAL, _duration(rotation, "checkInterval", cls.check_interval)
                ),
                targets=tuple(
                    sorted({Target(t["kind"], t["name"]) for t in rollout.get("targets") or ()})
                ),
                auto_discover=bool(rollout.get("autoDiscover", True)),
                rollout_timeout=_duration(rollout, "timeout", cls.rollout_timeout),
                suspend=bool(spec.get("suspend", False)),
                window=Window.from_dict(rotation["window"]) if rotation.get("window") else None,
                access_token=AccessTokenSpec.from_dict(spec.get("accessToken")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed spec: {exc}") from exc


def _required(spec: Mapping[str, Any], name: str, prefix: str = "spec.") -> str:
    value = spec.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{prefix}{name} is required")
    return value


def _duration(section: Mapping[str, Any], name: str, default: Any) -> Any:
    text = section.get(name)
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
