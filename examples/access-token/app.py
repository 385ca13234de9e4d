"""A sample application that never holds the client secret: it calls Adobe with the access token
the operator vends, re-reading the mounted file for every call.

The kubelet replaces the files of a Secret volume in place (an atomic symlink swap) some time after
the Secret changes, so reading the file again is all it takes to use the refreshed token; nothing
is cached across calls and the pod is never restarted. Standard library only.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

TOKEN_DIR = Path(os.environ.get("ADOBE_TOKEN_DIR", "/var/run/adobe-token"))
# The Adobe API your application calls (a GET), e.g. one of the APIs added to the credential's
# project. Not the client-secrets endpoints: a vended token is refused there (docs/security.md).
API_CALL_URL = os.environ.get("ADOBE_API_CALL_URL", "")
CLIENT_ID = os.environ.get("ADOBE_CLIENT_ID", "")  # not secret: the x-api-key header
INTERVAL_S = float(os.environ.get("INTERVAL_S", "60"))


def read_token(directory: Path = TOKEN_DIR) -> tuple[str, datetime]:
    """The token and its expiry as the Secret holds them now (read afresh on every call)."""
    token = (directory / "ADOBE_ACCESS_TOKEN").read_text().strip()
    expires = (directory / "ADOBE_ACCESS_TOKEN_EXPIRES_AT").read_text().strip()
    return token, datetime.fromisoformat(expires.replace("Z", "+00:00"))


def call_adobe(token: str) -> int:
    """One API call with the token, as the application would make it; its status."""
    request = urllib.request.Request(  # noqa: S310 - main() insists on https
        API_CALL_URL, headers={"Authorization": f"Bearer {token}", "x-api-key": CLIENT_ID}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> None:
    if not API_CALL_URL.startswith("https://"):
        raise SystemExit("set ADOBE_API_CALL_URL to the https URL of the Adobe API to call")
    while True:
        token, expires = read_token()
        left = (expires - datetime.now(UTC)).total_seconds()
        status = call_adobe(token)
        # Never print the token; its expiry is not secret.
        print(f"call answered {status}; the token expires in {left:.0f}s", flush=True)
        time.sleep(INTERVAL_S)


if __name__ == "__main__":
    main()
