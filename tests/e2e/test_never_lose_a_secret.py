"""Never lose a working secret: the five cases of issue 8, on the real control plane.

Each test reproduces what a user or an adversary did and checks, throughout, that the Secret holds
a client secret Adobe accepts and Adobe holds at most two; at the end, that the simulator's add and
delete counts match the plan and status says what happened.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from adobe_oauth_operator.names import GROUP, HMAC_SECRET_KEY, HMAC_SECRET_NAME, PLURAL, VERSION
from support.invariants import SecretWatch
from support.operator_env import CRED, FAST_ROTATION, Env, condition
from support.processes import OperatorProcess, sha256
from support.waiting import wait_until


def _calls(env: Env, endpoint: str) -> int:
    counts = env.sim.state()["requests"][endpoint]
    return sum(n for status, n in counts.items() if status.startswith("2"))


def _watch(env: Env) -> SecretWatch:
    return SecretWatch(env.cluster, env.namespace, env.sim, CRED)


def _step(env: Env) -> str | None:
    return (env.status().get("rotation") or {}).get("step")


# -- case 1 -----------------------------------------------------------------------------------
STEPS = ["Prepare", "Add", "Verify", "UpdateSecret", "Rollout", "Drain", "DeleteOld"]


def test_two_unpeered_operators_with_random_kills_never_break_the_secret(env: Env) -> None:
    """Two operator processes watch the namespace without peering; either is SIGKILLed at
    random moments. Ten rotations complete with one add and one delete each, plus only the
    orphan clean-ups a kill right after an add makes necessary."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    second = OperatorProcess(
        env.workdir,
        env.cluster.kubeconfig,
        env.namespace,
        env.sim.url,
        identity="second-operator",
        log_name="operator-2.log",
    )
    operators = [env.operator, second]
    env.add_deployment("web", replicas=1)
    env.apply_credential()
    env.wait_adopted()
    kills = 0
    try:
        with env.apps() as apps, _watch(env) as watch:
            for done in range(1, 11):
                env.request_rotation()
                if rng.random() < 0.7:
                    victim, step = operators[rng.randrange(2)], rng.choice(STEPS)
                    wait_until(
                        lambda s=step, n=done: (
                            _step(env) == s or len(env.status().get("history") or []) >= n
                        ),
                        timeout=60,
                        what=f"step {step}",
                        interval=0.05,
                    )
                    victim.kill()
                    kills += 1
                    victim.start()
                env.wait_rotations(done, timeout=120)
        assert watch.violations == [], f"seed {seed}: {watch.violations}"
        assert watch.checks > 50
        assert apps.errors == [], f"seed {seed}"
    finally:
        second.stop()
        env.workdir.joinpath("operator.log").open("a").write(second.logs())
    env.assert_clean_end_state(10)
    orphans = len(env.events("OrphanSecretDeleted"))
    print(  # the figures for the closing note; -s shows them
        f"seed={seed} kills={kills} adds={_calls(env, 'add')} deletes={_calls(env, 'delete')} "
        f"orphans={orphans} checks={watch.checks} app_uses={apps.uses}"
    )
    assert _calls(env, "add") == 10 + orphans, f"seed {seed}, {kills} kills"
    assert _calls(env, "delete") == 10 + orphans, f"seed {seed}, {kills} kills"
    assert orphans <= kills


# -- case 2 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["patched-back", "deleted-and-recreated"])
def test_a_secret_reverted_during_the_drain_is_restored_not_broken(env: Env, how: str) -> None:
    env.add_deployment("web", replicas=1)
    env.apply_credential(rotation={**FAST_ROTATION, "drainPeriod": "8s"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    with env.apps() as apps, _watch(env) as watch:
        env.request_rotation()
        wait_until(lambda: _step(env) == "Drain", timeout=60, what="the drain")
        if how == "patched-back":  # what a GitOps re-sync does
            env.cluster.core.patch_namespaced_secret(
                "adobe-creds",
                env.namespace,
                {"stringData": {"ADOBE_CLIENT_SECRET": env.initial_value}},
            )
        else:  # a person re-creates it with the only value they have
            env.cluster.core.delete_namespaced_secret("adobe-creds", env.namespace)
            env.cluster.core.create_namespaced_secret(
                env.namespace,
                {
                    "metadata": {"name": "adobe-creds"},
                    "stringData": {
                        "ADOBE_CLIENT_ID": env.client_id,
                        "ADOBE_CLIENT_SECRET": env.initial_value,
                    },
                },
            )
        status = env.wait_rotations(1, timeout=120)
    assert watch.violations == []
    assert apps.errors == []
    env.assert_clean_end_state(1)
    assert status["currentSecretUuid"] != old_uuid
    reverted = env.events("SecretReverted")
    assert reverted and all(e.type == "Warning" for e in reverted)
    assert status["history"][0]["newSecretUuid"] == status["currentSecretUuid"]
    assert (_calls(env, "add"), _calls(env, "delete")) == (1, 1)


# -- case 3 -----------------------------------------------------------------------------------
@pytest.mark.sim_secrets("added-in-the-console-just-now-0123456789")
@pytest.mark.sim_age(0)
def test_a_secret_added_in_the_console_just_before_is_never_deleted(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    console_uuid = next(
        s["uuid"]
        for s in env.adobe_secrets()
        if s["value_sha256"] == sha256("added-in-the-console-just-now-0123456789")
    )
    env.request_rotation()
    status = env.wait_phase("Stalled")
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "SecretLimitReached"
    assert console_uuid in stalled["message"] and "created" in stalled["message"]
    assert len(env.adobe_secrets()) == 2
    assert (_calls(env, "add"), _calls(env, "delete")) == (0, 0)
    assert env.app_secret_value() == env.initial_value
    assert not env.events("OrphanSecretDeleted")


# -- case 4 -----------------------------------------------------------------------------------
def test_a_pending_secret_that_is_not_ours_stalls_before_adobe_is_touched(env: Env) -> None:
    squatter = {
        "metadata": {
            "name": "creds-pending",
            # Copying the operator's labels does not make it the operator's.
            "labels": {
                "app.kubernetes.io/managed-by": "adobe-oauth-operator",
                "adobe-oauth-operator.dev/pending": "true",
            },
        },
        "stringData": {"clientSecret": "someone-elses-data"},
    }
    env.cluster.core.create_namespaced_secret(env.namespace, squatter)
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_phase("Stalled")
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "PendingSecretConflict"
    assert "creds-pending" in stalled["message"]
    assert (_calls(env, "add"), _calls(env, "delete")) == (0, 0)
    kept = env.cluster.core.read_namespaced_secret("creds-pending", env.namespace)
    assert kept.metadata.owner_references is None
    assert not env.events("OrphanSecretDeleted")
    # Removing it lets the rotation go on.
    env.cluster.core.delete_namespaced_secret("creds-pending", env.namespace)
    env.request_rotation()
    env.wait_rotations(1, timeout=120)
    env.assert_clean_end_state(1)


# -- case 5 -----------------------------------------------------------------------------------
def _delete_and_wait(env: Env) -> None:
    env.cluster.custom.delete_namespaced_custom_object(
        GROUP, VERSION, env.namespace, PLURAL, "creds"
    )
    wait_until(
        lambda: (
            not env.cluster.custom.list_namespaced_custom_object(
                GROUP, VERSION, env.namespace, PLURAL
            )["items"]
        ),
        timeout=60,
        what="the resource gone",
    )


def test_deleting_mid_rotation_before_the_secret_changed_deletes_the_new_secret(
    env: Env,
) -> None:
    env.apply_credential()
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    # IMS refuses every new token: the rotation cannot get past Verify.
    env.sim.fault(endpoint="token", status=503, count=10_000)
    env.request_rotation()
    wait_until(
        lambda: (env.status().get("rotation") or {}).get("newSecretUuid"),
        timeout=60,
        what="the new secret added",
    )
    assert len(env.adobe_secrets()) == 2
    _delete_and_wait(env)
    env.sim.call("DELETE", "/__sim/faults")
    assert [s["uuid"] for s in env.adobe_secrets()] == [old_uuid]
    assert env.app_secret_value() == env.initial_value
    assert env.events("CleanedUp")
    assert not env.cluster.core.list_namespaced_secret(
        env.namespace, label_selector="adobe-oauth-operator.dev/pending=true"
    ).items
    # Re-created, it adopts and honours a rotate request at once.
    env.apply_credential()
    assert env.wait_adopted()["currentSecretUuid"] == old_uuid
    env.request_rotation()
    env.wait_rotations(1, timeout=90)
    env.assert_clean_end_state(1)


def test_deleting_mid_drain_leaves_the_old_secret_and_names_it(env: Env) -> None:
    env.apply_credential(rotation={**FAST_ROTATION, "drainPeriod": "1h", "maxWait": "2h"})
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    env.request_rotation()
    wait_until(lambda: _step(env) == "Drain", timeout=60, what="the drain")
    new_uuid = env.status()["rotation"]["newSecretUuid"]
    _delete_and_wait(env)
    left = env.events("OldSecretLeftInAdobe")
    assert left and left[0].type == "Warning" and old_uuid in left[0].message
    assert {s["uuid"] for s in env.adobe_secrets()} == {old_uuid, new_uuid}
    held = sha256(env.app_secret_value())
    assert held == next(s["value_sha256"] for s in env.adobe_secrets() if s["uuid"] == new_uuid)
    assert not env.cluster.core.list_namespaced_secret(
        env.namespace, label_selector="adobe-oauth-operator.dev/pending=true"
    ).items


def test_status_records_every_fenced_action(env: Env) -> None:
    def settled() -> dict[str, Any] | None:
        """No action in flight and the known-good copy current: nothing left to do."""
        s = env.status()
        return (
            s
            if s.get("inFlight") is None and s.get("knownGoodHmac") == s.get("secretHmac")
            else None
        )

    env.apply_credential()
    env.wait_adopted()
    # A rotate request landing while the adoption's copy is being saved makes that pass start
    # over and save it again (fenced, so recorded twice): request once it is saved.
    wait_until(settled, timeout=30, what="the adoption's copy saved")
    env.request_rotation()
    env.wait_rotations(1)
    # The last action (copying the new value to the known-good copy) is recorded before it runs,
    # cleared after.
    status = wait_until(settled, timeout=30, what="inFlight cleared and the copy current")
    # the claim (the Secret's owner annotation) before adoption; copy after adoption; add,
    # verify, write, restart, delete old, delete pending; copy the new value: each recorded
    # before it ran
    assert status["actionSeq"] == 9
    assert condition(status, "Degraded")["status"] == "False"


# -- drift ------------------------------------------------------------------------------------
SECOND = "the-second-valid-client-secret-0123456789"


@pytest.mark.sim_secrets(SECOND)
def test_another_working_secret_put_into_the_secret_is_adopted(env: Env) -> None:
    env.apply_credential()
    first = env.wait_adopted()
    assert len(first["secretHmac"]) == 64
    assert first["secretHmac"] != sha256(env.initial_value), "keyed, not a plain hash"
    key = env.cluster.core.read_namespaced_secret(HMAC_SECRET_NAME, env.namespace)
    assert key.data and HMAC_SECRET_KEY in key.data
    second_uuid = next(
        s["uuid"] for s in env.adobe_secrets() if s["value_sha256"] == sha256(SECOND)
    )
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": SECOND}}
    )
    status = wait_until(
        lambda: (s := env.status()).get("currentSecretUuid") == second_uuid and s,
        timeout=60,
        what="the second secret adopted",
    )
    assert status["phase"] == "Ready"
    assert status["secretHmac"] != first["secretHmac"]
    assert env.wait_events("SecretChanged")
    assert len(env.adobe_secrets()) == 2, "nothing is deleted on adoption"


def test_a_secret_adobe_refuses_put_into_the_secret_is_reported_until_restored(env: Env) -> None:
    """onDrift: Report keeps no copy of the client secret and only reports."""
    env.apply_credential(rotation={**FAST_ROTATION, "onDrift": "Report"})
    env.wait_adopted()
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": "p8e-typo"}}
    )
    status = env.wait_phase("Stalled")
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "SecretDrifted"
    drifted = env.wait_events("SecretDrifted")
    assert drifted and drifted[0].type == "Warning"
    assert len(env.adobe_secrets()) == 1, "the current secret is untouched"
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": env.initial_value}}
    )
    status = env.wait_phase("Ready", timeout=120)
    assert condition(status, "Degraded")["status"] == "False"
    assert "knownGoodHmac" not in status or not status["knownGoodHmac"]
    assert not _known_good(env), "Report keeps no copy of the client secret"


def _known_good(env: Env) -> dict[str, str]:
    found = env.cluster.core.list_namespaced_secret(
        env.namespace, field_selector="metadata.name=creds-known-good"
    ).items
    return dict(found[0].data or {}) if found else {}


def test_a_secret_adobe_refuses_is_replaced_by_a_new_working_one_from_the_known_good_copy(
    env: Env,
) -> None:
    """onDrift: Rotate (the default): the operator keeps a copy of the verified client secret and,
    when the Secret is overwritten with a value IMS refuses, rotates from the copy: a new secret is
    added and written into the Secret, the consumers roll, and the old one is deleted."""
    env.add_deployment("web", replicas=1)
    env.apply_credential()
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    copied = wait_until(
        lambda: (s := env.status()).get("knownGoodHmac") == s.get("secretHmac") and s,
        timeout=60,
        what="the known-good copy",
    )
    copy = _known_good(env)
    assert sha256(base64.b64decode(copy["clientSecret"]).decode()) == sha256(env.initial_value)
    secret = env.cluster.core.read_namespaced_secret("creds-known-good", env.namespace)
    assert [o.uid for o in secret.metadata.owner_references] == [
        env.credential()["metadata"]["uid"]
    ]
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": "p8e-typo"}}
    )
    status = wait_until(
        lambda: len((s := env.status()).get("history") or []) >= 1 and s,
        timeout=120,
        what="the restoring rotation",
    )
    entry = status["history"][0]
    assert (entry["reason"], entry["result"], entry["oldSecretUuid"]) == (
        "Drift",
        "Succeeded",
        old_uuid,
    ), entry
    assert status["phase"] == "Ready" and status["currentSecretUuid"] == entry["newSecretUuid"]
    listed = env.adobe_secrets()
    assert [s["uuid"] for s in listed] == [entry["newSecretUuid"]], "old deleted, one left"
    value = env.app_secret_value()
    assert value not in ("p8e-typo", env.initial_value)
    assert sha256(value) == listed[0]["value_sha256"], "the Secret holds the new working secret"
    drifted = env.wait_events("SecretDrifted")
    assert drifted and drifted[0].type == "Warning"
    assert env.wait_events("Restarted"), "the consumers were rolled onto the working secret"
    assert _calls(env, "add") == 1 and _calls(env, "delete") == 1
    # The copy follows the new verified value.
    wait_until(
        lambda: (
            (s := env.status()).get("knownGoodHmac") == s.get("secretHmac")
            and s["secretHmac"] != copied["secretHmac"]
        ),
        timeout=60,
        what="the copy updated",
    )


def _restoring(env: Env) -> str:
    """Adopt, save the copy, then a typo in the Secret while Adobe refuses adds: a restoring
    rotation starts and cannot finish. The adopted uuid."""
    env.apply_credential()
    old_uuid: str = env.wait_adopted()["currentSecretUuid"]
    wait_until(
        lambda: (s := env.status()).get("knownGoodHmac") == s.get("secretHmac") and s,
        timeout=60,
        what="the known-good copy",
    )
    env.sim.fault(endpoint="add", status=503, count=10_000)
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": "p8e-typo"}}
    )
    wait_until(
        lambda: (env.status().get("rotation") or {}).get("reason") == "Drift",
        timeout=60,
        what="the restoring rotation",
    )
    return old_uuid


def test_deleting_mid_restore_puts_the_known_good_copy_back_into_the_secret(env: Env) -> None:
    """A restoring rotation cut short by the deletion before the Secret got a working value: the
    copy (about to be garbage-collected with the resource) goes back into the Secret."""
    old_uuid = _restoring(env)
    _delete_and_wait(env)
    assert env.app_secret_value() == env.initial_value, "the verified value is back"
    assert [s["uuid"] for s in env.adobe_secrets()] == [old_uuid]
    cleaned = env.wait_events("CleanedUp")
    assert cleaned and "known-good" in cleaned[-1].message


def test_a_known_good_copy_changed_mid_restore_is_never_used(env: Env) -> None:
    """The copy's HMAC is checked on every read that feeds an Adobe call or a write, not only
    when the restore starts: a copy changed meanwhile is neither sent to IMS nor written."""
    _restoring(env)
    tampered = "p8e-tampered-copy"
    env.cluster.core.patch_namespaced_secret(
        "creds-known-good", env.namespace, {"stringData": {"clientSecret": tampered}}
    )
    refused_before = env.sim.state()["requests"]["token"].get("401", 0)
    status = wait_until(
        lambda: (
            (s := env.status())
            and any(
                "no longer holds the client secret status verified" in c.get("message", "")
                for c in s.get("conditions") or []
            )
            and s
        ),
        timeout=120,
        what="the changed copy refused",
    )
    assert any(c["reason"] == "KnownGoodMissing" for c in status["conditions"]), status
    assert env.sim.state()["requests"]["token"].get("401", 0) == refused_before
    assert env.app_secret_value() == "p8e-typo", "the changed copy was not written"
    assert len(env.adobe_secrets()) == 1


def test_deletion_with_adobe_unreachable_is_bounded_and_names_what_is_left(env: Env) -> None:
    env.apply_credential()
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    env.sim.fault(endpoint="token", status=503, count=10_000)
    env.request_rotation()
    new_uuid = wait_until(
        lambda: (env.status().get("rotation") or {}).get("newSecretUuid"),
        timeout=60,
        what="the new secret added",
    )
    for endpoint in ("list", "delete"):
        env.sim.fault(endpoint=endpoint, status=503, count=10_000)
    _delete_and_wait(env)  # bounded: released although Adobe answers nothing useful
    env.sim.call("DELETE", "/__sim/faults")
    incomplete = env.events("CleanupIncomplete")
    assert incomplete and incomplete[0].type == "Warning"
    assert new_uuid in incomplete[0].message and old_uuid in incomplete[0].message
    assert env.app_secret_value() == env.initial_value
