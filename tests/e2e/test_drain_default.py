"""The default drain (24h, one access-token lifetime) against a consumer that caches its token."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

from support.apps import CachingConsumer
from support.cluster import REPO
from support.operator_env import CRED, ORG, Env
from support.waiting import wait_until

TOKEN_LIFETIME_S = 86399  # what IMS answers in expires_in, and the simulator's default


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _drain(env: Env) -> dict[str, Any]:
    return dict((env.status().get("rotation") or {}).get("drain") or {})


def test_cached_token_keeps_the_old_secret_until_an_emergency(env: Env) -> None:
    # Only checkInterval is set: drainPeriod and maxWait are the CRD's defaults.
    env.apply_credential(rotation={"checkInterval": "1s"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    rotation = env.credential()["spec"]["rotation"]
    assert (rotation["drainPeriod"], rotation["maxWait"]) == ("24h", "72h")

    outside = CachingConsumer(env.sim, env.client_id, env.initial_value)
    outside.call_api(ORG, CRED)
    granted_at = _old(env)["last_used_at"]

    env.request_rotation()
    # deleteAfter is shown on entering the drain; the last use once Adobe's list is read.
    drain = wait_until(
        lambda: (d := _drain(env)).get("oldSecretLastUsed") and d,
        timeout=60,
        what="the drain status",
    )
    completed = _time(env.status()["rotation"]["rolloutCompletedAt"])
    assert _time(drain["deleteAfter"]) == completed + timedelta(hours=24)
    assert _time(drain["oldSecretLastUsed"]) == _ms(granted_at)
    column = _kubectl(env, "get", "aoc", "creds", "-o", "wide")
    assert "OLD SECRET DELETED AFTER" in column.splitlines()[0]
    assert drain["deleteAfter"][:19] in column

    # Within its token's lifetime the consumer never shows the old secret to IMS again.
    env.sim.advance_clock(TOKEN_LIFETIME_S - 60)
    outside.call_api(ORG, CRED)
    assert (outside.grants, _old(env)["last_used_at"]) == (1, granted_at)

    # Hours later its token expires; it asks for a new one with the old secret, which works.
    env.sim.advance_clock(120)
    outside.call_api(ORG, CRED)
    assert outside.grants == 2
    renewed_at = _old(env)["last_used_at"]
    assert renewed_at > granted_at + TOKEN_LIFETIME_S * 1000
    moved = wait_until(
        lambda: (d := _drain(env)).get("oldSecretLastUsed") == _iso(renewed_at) and d,
        timeout=30,
        what="the renewal in status.rotation.drain",
    )
    assert _time(moved["deleteAfter"]) == _ms(renewed_at) + timedelta(hours=24)
    assert len(env.adobe_secrets()) == 2, "the old secret is kept while it is in use"
    assert env.wait_events("OldSecretStillInUse")[0].type == "Warning"

    # An emergency during the long drain deletes the old secret at once: the rollout is done.
    env.request_rotation(emergency=True)
    status = env.wait_rotations(1, timeout=60)
    assert status["history"][0]["reason"] == "Emergency"
    assert old_uuid not in {s["uuid"] for s in env.adobe_secrets()}
    env.assert_clean_end_state(1)


def _old(env: Env) -> dict[str, Any]:
    uuid = env.status()["currentSecretUuid"]
    rotation = env.status().get("rotation") or {}
    wanted = rotation.get("oldSecretUuid") or uuid
    return next(s for s in env.adobe_secrets() if s["uuid"] == wanted)


def _iso(ms: int) -> str:
    return _ms(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kubectl(env: Env, *args: str) -> str:
    out = subprocess.run(
        [
            str(REPO / ".tools" / "bin" / "kubectl"),
            "--kubeconfig",
            str(env.cluster.kubeconfig),
            "-n",
            env.namespace,
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout
