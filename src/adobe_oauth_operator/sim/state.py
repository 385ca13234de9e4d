"""The simulated services' state and rules, free of HTTP: IMS grants and client-secret calls."""

from __future__ import annotations

import math
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from adobe_oauth_operator.sim.clock import SimClock
from adobe_oauth_operator.sim.dialect import DEFAULT_DIALECT, Dialect, dialect_named
from adobe_oauth_operator.sim.model import (
    DEFAULT_TOKEN_TTL_S,
    IO_MANAGEMENT_SCOPES,
    MAX_SECRETS,
    SimCredential,
    SimSecret,
    SimToken,
    sha256_hex,
)
from adobe_oauth_operator.sim.rate import PeakRate
from adobe_oauth_operator.sim.seed import CredentialSeed
from adobe_oauth_operator.sim.wire import secret_json

ENDPOINTS = ("token", "list", "add", "delete")
THROTTLE_WINDOW_MS = 60_000
# The request log keeps the newest requests only: a soak test must not grow it without bound.
REQUEST_LOG_LIMIT = 100_000
STATE_VERSION = 1


class SimError(Exception):
    """A refusal with its HTTP status and OAuth-style error code."""

    def __init__(
        self, status: int, error: str, description: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.retry_after = retry_after


def new_uuid() -> str:
    return secrets.token_hex(16)


def new_secret_value() -> str:
    return "p8e-" + secrets.token_urlsafe(24)


def new_token() -> str:
    return secrets.token_urlsafe(48)


class SimState:
    """Credentials, secrets, tokens and request counters, with Adobe's rules applied."""

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
        token_rate: int | None = None,
        dialect: str | Dialect = DEFAULT_DIALECT,
        make_uuid: Callable[[], str] = new_uuid,
        make_secret: Callable[[], str] = new_secret_value,
        make_token: Callable[[], str] = new_token,
    ) -> None:
        self.clock = clock or SimClock()
        self.token_ttl_s = token_ttl_s
        self.token_rate = token_rate
        self.dialect = dialect_named(dialect)
        self.on_change: Callable[[], None] | None = None
        self._make_uuid, self._make_secret, self._make_token = make_uuid, make_secret, make_token
        self.credentials: list[SimCredential] = []
        self.tokens: dict[str, SimToken] = {}
        self.requests: dict[str, dict[str, int]] = {e: {} for e in ENDPOINTS}
        # (simulator time in ms, endpoint, status or "drop") of each request, oldest first.
        self.request_log: deque[tuple[int, str, str]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.rate = PeakRate()
        self._grants: dict[str, deque[int]] = {}
        self._initial: dict[str, Any] = self.dump()

    # -- setup -----------------------------------------------------------------------------
    def add_credential(self, seed: CredentialSeed) -> SimCredential:
        """Create a credential; its secrets get uuids and created_at like added ones."""
        if self._by_client(seed.client_id) or self._by_ids(seed.org_id, seed.credential_id):
            raise SimError(409, "conflict", "a credential with that client_id or ids exists")
        now = self.clock.now_ms() - int(seed.age_s * 1000)
        credential = SimCredential(seed.org_id, seed.credential_id, seed.client_id, seed.scopes)
        credential.secrets = [
            SimSecret(self._make_uuid(), sha256_hex(v), now) for v in seed.secrets
        ]
        self.credentials.append(credential)
        self._changed()
        return credential

    def mark_initial(self) -> None:
        """What `reset()` returns to."""
        self._initial = self.dump()

    def reset(self) -> None:
        """Back to the initial state; counters and throttling windows start over."""
        self.load(self._initial)
        self.requests = {e: {} for e in ENDPOINTS}
        self.request_log.clear()
        self.rate.reset()
        self._grants.clear()
        self._changed()

    # -- IMS -------------------------------------------------------------------------------
    def grant_token(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The client_credentials grant of POST /ims/token/v3."""
        grant_type = params.get("grant_type")
        if not grant_type:
            raise SimError(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise SimError(400, "unsupported_grant_type", "only client_credentials is supported")
        credential, secret = self._authenticate(params)
        scopes = self._granted_scopes(credential, params.get("scope", ""))
        self._throttle(credential.client_id)
        now = self.clock.now_ms()
        secret.last_used_at = now
        token = self._make_token()
        self.tokens[sha256_hex(token)] = SimToken(
            sha256_hex(token),
            credential.client_id,
            secret.uuid,
            scopes,
            now + self.token_ttl_s * 1000,
        )
        self._changed()
        return {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl_s}

    def _authenticate(self, params: Mapping[str, str]) -> tuple[SimCredential, SimSecret]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if not client_id or not client_secret:
            raise SimError(400, "invalid_request", "client_id and client_secret are required")
        credential = self._by_client(client_id)
        if credential is None:
            raise SimError(400, "invalid_client", "invalid client_id parameter")
        secret = credential.secret_by_value(client_secret)
        if secret is None:
            raise SimError(401, "invalid_client", "invalid client_secret parameter")
        return credential, secret

    @staticmethod
    def _granted_scopes(credential: SimCredential, scope: str) -> frozenset[str]:
        requested = frozenset(s.strip() for s in scope.split(",") if s.strip())
        if not requested:
            raise SimError(400, "invalid_scope", "scope is required")
        refused = requested - set(credential.scopes)
        if refused:
            raise SimError(400, "invalid_scope", f"invalid scope(s): {','.join(sorted(refused))}")
        return requested

    def _throttle(self, client_id: str) -> None:
        if self.token_rate is None:
            return
        now = self.clock.now_ms()
        window = self._grants.setdefault(client_id, deque())
        while window and window[0] <= now - THROTTLE_WINDOW_MS:
            window.popleft()
        if len(window) >= self.token_rate:
            wait_s = max(1, math.ceil((window[0] + THROTTLE_WINDOW_MS - now) / 1000))
            raise SimError(429, "too_many_requests", "token rate exceeded", retry_after=wait_s)
        window.append(now)

    # -- I/O Management API ----------------------------------------------------------------
    def authorize(
        self, authorization: str | None, api_key: str | None, org_id: str, credential_id: str
    ) -> SimCredential:
        """The checks every secrets call makes: token, x-api-key, scopes, then the path."""
        token = self._valid_token(authorization)
        if api_key != token.client_id:
            raise SimError(403, "forbidden", "x-api-key does not match the token's client")
        missing = set(IO_MANAGEMENT_SCOPES) - token.scopes
        if missing:
            raise SimError(
                403, "insufficient_scope", f"the token lacks {','.join(sorted(missing))}"
            )
        credential = self._by_ids(org_id, credential_id)
        if credential is None or credential.client_id != token.client_id:
            raise SimError(404, "not_found", "no such credential in this organization")
        return credential

    def application_call(self, authorization: str | None, api_key: str | None) -> dict[str, Any]:
        """Any other Adobe API an application calls with its token: a valid token of the
        x-api-key's client is enough, no I/O Management scope is needed."""
        token = self._valid_token(authorization)
        if api_key != token.client_id:
            raise SimError(403, "forbidden", "x-api-key does not match the token's client")
        return {"client_id": token.client_id, "scopes": sorted(token.scopes)}

    def _valid_token(self, authorization: str | None) -> SimToken:
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise SimError(401, "invalid_token", "a bearer access token is required")
        digest = sha256_hex(value.strip())
        token = self.tokens.get(digest)
        if token is None:
            raise SimError(401, "invalid_token", "the access token is not valid")
        if self.clock.now_ms() >= token.expires_at:
            del self.tokens[digest]
            self._changed()
            raise SimError(401, "invalid_token", "the access token has expired")
        return token

    def list_secrets(self, credential: SimCredential) -> dict[str, Any]:
        return {
            "client_id": credential.client_id,
            "client_secrets": [self._secret_json(s) for s in credential.secrets],
        }

    def add_secret(self, credential: SimCredential) -> dict[str, Any]:
        """A new secret; the only answer that ever carries a plain value."""
        if len(credential.secrets) >= MAX_SECRETS:
            raise SimError(
                self.dialect.limit_status,
                "secret_limit_reached",
                "a credential holds at most 2 client secrets",
            )
        value = self._make_secret()
        secret = SimSecret(self._make_uuid(), sha256_hex(value), self.clock.now_ms())
        credential.secrets.append(secret)
        self._changed()
        if not self.dialect.add_names_secret:
            return {
                "client_secret": value,
                "expires_at": "PERMANENT",
                "expires_at_str": "PERMANENT",
            }
        return {**self._secret_json(secret), "client_secret": value}

    def delete_secret(self, credential: SimCredential, uuid: str) -> None:
        """Delete by uuid; tokens made with the deleted secret stop working (strict)."""
        secret = next((s for s in credential.secrets if s.uuid == uuid), None)
        if secret is None:
            raise SimError(404, "not_found", "no client secret with that uuid")
        if len(credential.secrets) == 1:
            raise SimError(
                self.dialect.last_secret_status,
                "last_secret",
                "the only client secret cannot be deleted",
            )
        credential.secrets.remove(secret)
        self.tokens = {k: t for k, t in self.tokens.items() if t.secret_uuid != uuid}
        self._changed()

    def _secret_json(self, secret: SimSecret) -> dict[str, Any]:
        return secret_json(secret, null_when_unused=self.dialect.null_usages_when_unused)

    # -- control ---------------------------------------------------------------------------
    def record_use(self, client_id: str, client_secret: str) -> str:
        """Move a secret's last_used_at as a grant would; returns its uuid."""
        credential = self._by_client(client_id)
        secret = credential.secret_by_value(client_secret) if credential else None
        if secret is None:
            raise SimError(404, "not_found", "no such client_id and client_secret")
        secret.last_used_at = self.clock.now_ms()
        self._changed()
        return secret.uuid

    def advance_clock(self, seconds: float) -> int:
        self.clock.advance(seconds)
        self._changed()
        return self.clock.now_ms()

    def count(self, endpoint: str, status: str) -> None:
        by_status = self.requests[endpoint]
        by_status[status] = by_status.get(status, 0) + 1
        self.request_log.append((self.clock.now_ms(), endpoint, status))
        self.rate.record()

    def logged_requests(
        self, endpoint: str | None = None, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """The logged requests of `endpoint` (None: all) with since_ms <= at_ms < until_ms."""
        return [
            {"at_ms": at_ms, "endpoint": name, "status": status}
            for at_ms, name, status in self.request_log
            if (endpoint is None or name == endpoint)
            and (since_ms is None or at_ms >= since_ms)
            and (until_ms is None or at_ms < until_ms)
        ]

    def snapshot(self) -> dict[str, Any]:
        """The GET /__sim/state document: hashes of values, never values."""
        return {
            "credentials": [
                {
                    "org_id": c.org_id,
                    "credential_id": c.credential_id,
                    "client_id": c.client_id,
                    "secrets": [_secret_state(s) for s in c.secrets],
                }
                for c in self.credentials
            ],
            "requests": {e: dict(counts) for e, counts in self.requests.items()},
            "rate": self.rate.snapshot(),
        }

    # -- persistence -----------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """Everything worth keeping across a restart (no plain secret or token in it)."""
        return {
            "version": STATE_VERSION,
            "clock_offset_ms": self.clock.offset_ms,
            "credentials": [c.to_json() for c in self.credentials],
            "tokens": [t.to_json() for t in self.tokens.values()],
        }

    def load(self, data: Mapping[str, Any]) -> None:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported simulator state version {data.get('version')!r}")
        self.clock.offset_ms = int(data["clock_offset_ms"])
        self.credentials = [SimCredential.from_json(c) for c in data["credentials"]]
        tokens = (SimToken.from_json(t) for t in data["tokens"])
        self.tokens = {t.token_sha256: t for t in tokens}

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def credential_id_of(self, client_id: str) -> str | None:
        """The credential id of a client id (a token request names only the client)."""
        credential = self._by_client(client_id)
        return credential.credential_id if credential is not None else None

    def _by_client(self, client_id: str) -> SimCredential | None:
        return next((c for c in self.credentials if c.client_id == client_id), None)

    def _by_ids(self, org_id: str, credential_id: str) -> SimCredential | None:
        wanted = (org_id, credential_id)
        return next((c for c in self.credentials if (c.org_id, c.credential_id) == wanted), None)


def _secret_state(secret: SimSecret) -> dict[str, Any]:
    return {
        "uuid": secret.uuid,
        "created_at": secret.created_at,
        "last_used_at": secret.last_used_at,
        "value_sha256": secret.value_sha256,
    }
