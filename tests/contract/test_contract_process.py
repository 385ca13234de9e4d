"""`python -m adobe_oauth_operator.sim` as a process: first line, SIGTERM, --state."""

from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from contract_seed import ONE, ONE_SECRET, SCOPES, SEED

from adobe_oauth_operator.sim import SimControl

START_TIMEOUT_S = 60.0  # the interpreter and aiohttp import slowly on a busy machine
STOP_TIMEOUT_S = 30.0


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line, or AssertionError when none arrives in time."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"no output within {timeout}s"
    return process.stdout.readline().rstrip("\n")


@contextmanager
def simulator_process(*args: str) -> Iterator[str]:
    """Start the simulator, yield its URL, stop it with SIGTERM and check it exits cleanly."""
    command = [sys.executable, "-m", "adobe_oauth_operator.sim", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = first_line(process, START_TIMEOUT_S)
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))", line)
        assert match, line
        assert int(match.group(2)) > 0
        yield match.group(1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def grant(url: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": ",".join(SCOPES),
    }
    response = httpx.post(f"{url}/ims/token/v3", data=form, timeout=10)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def add_secret(url: str, token: str, status: int = 200) -> str:
    """Add a secret to ONE; its uuid is the one a list shows that it did not show before (the
    `spec` dialect's add answer names none)."""
    path = f"/console/organizations/{ONE.org_id}/credentials/{ONE.credential_id}/secrets"
    headers = {"Authorization": f"Bearer {token}", "x-api-key": ONE.client_id}

    def listed() -> set[str]:
        answer = httpx.get(f"{url}{path}", headers=headers, timeout=10).json()
        return {s["uuid"] for s in answer["client_secrets"]}

    before = listed()
    response = httpx.post(f"{url}{path}", headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["client_secret"]
    (uuid,) = listed() - before
    return uuid


def test_process_serves_stops_on_sigterm_and_keeps_state(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(SEED))
    state_file = tmp_path / "state.json"
    with simulator_process("--seed", str(seed), "--state", str(state_file)) as url:
        token = grant(url)
        added = add_secret(url, token)
        before = SimControl(url).state()["credentials"]
    assert ONE_SECRET.reveal() not in state_file.read_text()
    assert token not in state_file.read_text()
    # Restarted without the seed: credentials, secrets and issued tokens are all still there.
    with simulator_process("--state", str(state_file)) as url:
        assert SimControl(url).state()["credentials"] == before
        assert before[0]["secrets"][1]["uuid"] == added
        path = f"/console/organizations/{ONE.org_id}/credentials/{ONE.credential_id}/secrets"
        headers = {"Authorization": f"Bearer {token}", "x-api-key": ONE.client_id}
        assert httpx.get(f"{url}{path}", headers=headers, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("args", "status", "unused"), [((), 200, []), (("--dialect", "guide"), 201, None)]
)
def test_the_dialect_option_picks_statuses_and_shapes(
    tmp_path: Path, args: tuple[str, ...], status: int, unused: list[object] | None
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(SEED))
    with simulator_process("--seed", str(seed), *args) as url:
        token = grant(url)
        added = add_secret(url, token, status)
        path = f"/console/organizations/{ONE.org_id}/credentials/{ONE.credential_id}/secrets"
        headers = {"Authorization": f"Bearer {token}", "x-api-key": ONE.client_id}
        listed = httpx.get(f"{url}{path}", headers=headers, timeout=10).json()["client_secrets"]
    assert [s["secret_usages"] for s in listed if s["uuid"] == added] == [unused]


def test_an_unknown_dialect_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "adobe_oauth_operator.sim", "--dialect", "swagger"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_a_bad_seed_exits_with_an_error(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("credentials: [nonsense]\n")
    command = [sys.executable, "-m", "adobe_oauth_operator.sim", "--seed", str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert done.returncode == 2
    assert "not a mapping" in done.stderr
    assert done.stdout == ""
