"""build_state: seed on first start, the --state file afterwards."""

import json
from pathlib import Path

from adobe_oauth_operator.sim import build_state

SEED = {
    "credentials": [{"org_id": "1", "credential_id": "2", "client_id": "c", "secrets": ["p8e-x"]}]
}


def test_first_start_seeds_and_saves(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = build_state(seed=SEED, state_file=path)
    saved = json.loads(path.read_text())
    assert saved["credentials"][0]["secrets"][0]["uuid"] == state.credentials[0].secrets[0].uuid
    assert "p8e-x" not in path.read_text()


def test_restart_keeps_the_state_and_ignores_the_seed(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = build_state(seed=SEED, state_file=path)
    first.add_secret(first.credentials[0])
    second = build_state(seed={"credentials": []}, state_file=path)
    assert len(first.credentials[0].secrets) == 2
    assert [s.uuid for s in second.credentials[0].secrets] == [
        s.uuid for s in first.credentials[0].secrets
    ]


def test_without_a_state_file_nothing_is_written(tmp_path: Path) -> None:
    state = build_state(seed=SEED)
    state.add_secret(state.credentials[0])
    assert list(tmp_path.iterdir()) == []
