"""A synchronous client of the /__sim/ control endpoints (stdlib only), for tests and tools."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any


class SimControlError(RuntimeError):
    """A control endpoint refused the request."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"simulator answered {status}: {body}")
        self.status = status


class SimControl:
    """Drive a simulator at `url` (the base URL its first output line printed)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/__sim/state")

    def requests(self, endpoint: str) -> dict[str, int]:
        """How many answers of each status `endpoint` gave ("token", "list", "add", "delete")."""
        counts: dict[str, int] = self.state()["requests"][endpoint]
        return counts

    def request_log(
        self,
        endpoint: str | None = None,
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> list[dict[str, Any]]:
        """The requests logged with their simulator time, `{"at_ms", "endpoint", "status"}`:
        those of `endpoint` (None: all) from `since_ms` (inclusive) to `until_ms` (exclusive)."""
        query = {"endpoint": endpoint, "since_ms": since_ms, "until_ms": until_ms}
        given = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        logged: list[dict[str, Any]] = self._call("GET", f"/__sim/requests?{given}")["requests"]
        return logged

    def fault(
        self,
        endpoint: str,
        status: int | str | None = None,
        *,
        count: int = 1,
        retry_after: float | None = None,
        delay_s: float | None = None,
        after_commit: bool = False,
        credential_id: str | None = None,
    ) -> dict[str, int]:
        """Make the next `count` calls to `endpoint` (for `credential_id` only, when given) fail,
        drop or be delayed; returns pending."""
        body: dict[str, Any] = {"endpoint": endpoint, "count": count, "after_commit": after_commit}
        if credential_id is not None:
            body["credential_id"] = credential_id
        optional = {"status": status, "retry_after": retry_after, "delay_s": delay_s}
        body.update({k: v for k, v in optional.items() if v is not None})
        pending: dict[str, int] = self._call("POST", "/__sim/faults", body)["pending"]
        return pending

    def clear_faults(self, credential_id: str | None = None) -> None:
        """Drop every pending fault, or only those for `credential_id`."""
        query = "" if credential_id is None else f"?credential_id={credential_id}"
        self._call("DELETE", f"/__sim/faults{query}")

    def use(self, client_id: str, client_secret: str) -> str:
        """Record a use of a secret as a token grant would; returns its uuid."""
        body = {"client_id": client_id, "client_secret": client_secret}
        uuid: str = self._call("POST", "/__sim/use", body)["uuid"]
        return uuid

    def advance_clock(self, seconds: float) -> int:
        """Move the simulator's clock forward; returns its new time in ms."""
        now_ms: int = self._call("POST", "/__sim/clock", {"advance_s": seconds})["now_ms"]
        return now_ms

    def reset(self) -> None:
        self._call("POST", "/__sim/reset")

    def add_credential(
        self,
        org_id: str,
        credential_id: str,
        client_id: str,
        secrets: Sequence[str] = (),
        scopes: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Create a credential like a seed entry would."""
        body: dict[str, Any] = {
            "org_id": org_id,
            "credential_id": credential_id,
            "client_id": client_id,
            "secrets": list(secrets),
        }
        if scopes is not None:
            body["scopes"] = list(scopes)
        return self._call("POST", "/__sim/credentials", body)

    def _call(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the simulator's, http only
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise SimControlError(exc.code, exc.read().decode(errors="replace")) from None
        parsed: dict[str, Any] = json.loads(text) if text else {}
        return parsed
