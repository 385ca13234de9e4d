"""`kubectl aoc`, run as the installed console script with KUBECONFIG, against the local cluster,
the simulator and a running operator; and the one-shot emergency annotation it relies on."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from adobe_oauth_operator.names import (
    EMERGENCY_ANNOTATION,
    GROUP,
    PLURAL,
    ROTATE_ANNOTATION,
    VERSION,
)
from support.operator_env import CRED, ORG, Env, condition
from support.processes import RUNTIME_BIN
from support.waiting import wait_until

# Installed as users install it: runtime dependencies only.
PLUGIN = RUNTIME_BIN / "kubectl-aoc"


def aoc(env: Env, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `kubectl aoc ARGS` the way kubectl runs a plugin: its own process, KUBECONFIG set."""
    done = subprocess.run(
        [str(PLUGIN), *args, "-n", env.namespace],
        env={**os.environ, "KUBECONFIG": str(env.cluster.kubeconfig)},
        stdin=subprocess.DEVNULL,  # no terminal, as in a script or CI
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert env.initial_value not in done.stdout + done.stderr, "the plugin printed a secret"
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def annotations(env: Env, name: str = "creds") -> dict[str, str]:
    return dict(env.credential(name)["metadata"].get("annotations") or {})


# -- status and history -------------------------------------------------------------------------
def test_status_shows_the_rotation_in_progress_its_targets_and_drain(env: Env) -> None:
    env.add_deployment("web", replicas=1)
    env.apply_credential(
        rotation={
            "drainPeriod": "20s",
            "checkInterval": "1s",
            "maxWait": "60s",
            "interval": "720h",
        },
        rollout={"targets": [{"kind": "Deployment", "name": "web"}], "timeout": "60s"},
    )
    adopted = env.wait_adopted()

    idle = json.loads(aoc(env, "status", "creds", "-o", "json").stdout)
    assert idle["phase"] == "Ready"
    assert idle["currentSecret"]["uuid"] == adopted["currentSecretUuid"]
    assert idle["currentSecret"]["origin"] == "adopted"
    # The age counts from when Adobe created the secret, as status records it.
    [listed] = env.adobe_secrets()
    assert idle["currentSecret"]["createdAt"] == adopted["currentSecretCreatedAt"]
    assert _epoch_ms(adopted["currentSecretCreatedAt"]) == listed["created_at"]
    assert idle["rotation"] is None
    assert idle["schedule"]["nextRotationTime"] == adopted["nextRotationTime"]
    assert any(e["reason"] == "Adopted" for e in idle["events"])

    with env.apps():
        aoc(env, "rotate", "creds")
        wait_until(
            lambda: (env.status().get("rotation") or {}).get("step") == "Drain",
            timeout=90,
            what="the rotation draining",
        )
        draining = json.loads(aoc(env, "status", "creds", "-o", "json").stdout)
        text = aoc(env, "status", "creds").stdout
    rotation = draining["rotation"]
    assert (rotation["step"], rotation["trigger"]) == ("Drain", "OnDemand")
    assert rotation["targets"] == [{"target": "Deployment/web", "state": "rolled out"}]
    assert rotation["oldSecretUuid"] == adopted["currentSecretUuid"]
    assert 0 < rotation["drain"]["secondsLeft"] <= 60
    assert draining["phase"] == "Rotating"
    for expected in (
        "Phase:      Rotating",
        f"Rotation in progress: {rotation['id']} (OnDemand)",
        "Step:        Drain",
        "Deployment/web",
        "rolled out",
        "Drain:       old secret last used",
        "left)",
        "RotationStarted",
    ):
        assert expected in text, text

    status = env.wait_rotations(1)
    history = json.loads(aoc(env, "history", "creds", "-o", "json").stdout)
    assert [(h["id"], h["reason"], h["result"]) for h in history] == [
        (rotation["id"], "OnDemand", "Succeeded")
    ]
    table = aoc(env, "history", "creds").stdout
    assert rotation["id"] in table and "Succeeded" in table
    after = yaml.safe_load(aoc(env, "status", "creds", "-o", "yaml").stdout)
    assert after["currentSecret"]["uuid"] == status["currentSecretUuid"]
    assert after["currentSecret"]["origin"] == f"rotation {rotation['id']}"
    [new] = env.adobe_secrets()
    assert new["uuid"] == status["currentSecretUuid"]
    assert after["currentSecret"]["createdAt"] == status["currentSecretCreatedAt"]
    assert _epoch_ms(status["currentSecretCreatedAt"]) == new["created_at"]
    text = aoc(env, "status", "creds").stdout
    assert f"created {status['currentSecretCreatedAt']}" in text, text


def _epoch_ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def test_status_of_a_missing_resource_fails_with_one_line(env: Env) -> None:
    done = aoc(env, "status", "nothing-here", check=False)
    assert done.returncode == 1
    assert "nothing-here" in done.stderr and "not found" in done.stderr
    assert "Traceback" not in done.stderr


# -- rotate, and the emergency is one-shot ------------------------------------------------------
def test_emergency_annotation_is_spent_with_its_request(env: Env) -> None:
    """The documented interface: emergency=true with a rotate value, then a plain request."""
    env.apply_credential()
    env.wait_adopted()
    env.annotate({ROTATE_ANNOTATION: "first", EMERGENCY_ANNOTATION: "true"})
    status = env.wait_rotations(1)
    assert status["history"][0]["reason"] == "Emergency"
    assert status["lastEmergencyRequest"] == "first"
    wait_until(
        lambda: EMERGENCY_ANNOTATION not in annotations(env),
        timeout=30,
        what="the spent emergency annotation removed",
    )
    assert annotations(env)[ROTATE_ANNOTATION] == "first"

    env.annotate({ROTATE_ANNOTATION: "second"})
    status = env.wait_rotations(2)
    assert [h["reason"] for h in status["history"]] == ["OnDemand", "Emergency"]


def test_plugin_rotate_emergency_then_plain(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    refused = aoc(env, "rotate", "creds", "--emergency", check=False)
    assert refused.returncode == 1
    assert f"  {env.namespace}/creds" in refused.stdout, "names what it would act on"
    assert "needs confirmation" in refused.stderr and "--yes" in refused.stderr
    assert ROTATE_ANNOTATION not in annotations(env) and EMERGENCY_ANNOTATION not in annotations(
        env
    )

    out = aoc(env, "rotate", "creds", "--emergency", "--yes").stdout
    assert out.index(f"  {env.namespace}/creds") < out.index("emergency rotation requested")
    assert f"emergency rotation requested for {env.namespace}/creds" in out
    env.wait_rotations(1)
    out = aoc(env, "rotate", "creds").stdout
    assert f"rotation requested for {env.namespace}/creds" in out
    status = env.wait_rotations(2)
    assert [h["reason"] for h in status["history"]] == ["OnDemand", "Emergency"]
    env.assert_clean_end_state(2)


def test_the_kubeconfig_contexts_namespace_is_the_default(env: Env, tmp_path: Path) -> None:
    env.apply_credential()
    env.wait_adopted()
    kubeconfig = yaml.safe_load(env.cluster.kubeconfig.read_text())
    for context in kubeconfig["contexts"]:
        context["context"]["namespace"] = env.namespace
    own = tmp_path / "kubeconfig"
    own.write_text(yaml.safe_dump(kubeconfig))
    done = subprocess.run(
        [str(PLUGIN), "status", "creds", "-o", "json", "--kubeconfig", str(own)],
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout)["namespace"] == env.namespace
    wrong = subprocess.run(
        [str(PLUGIN), "status", "creds", "--kubeconfig", str(own), "--context", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 1 and "kubeconfig" in wrong.stderr


def test_rotate_by_selector_and_all(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, PLURAL, "creds", {"metadata": {"labels": {"team": "a"}}}
    )
    missing = aoc(env, "rotate", "-l", "team=b", check=False)
    assert missing.returncode == 1 and "no AdobeOAuthCredential" in missing.stderr
    empty = aoc(env, "rotate", "-l", "", check=False)
    assert empty.returncode == 1 and "use --all" in empty.stderr
    assert ROTATE_ANNOTATION not in annotations(env)

    assert "creds" in aoc(env, "rotate", "-l", "team=a").stdout
    env.wait_rotations(1)
    assert "creds" in aoc(env, "rotate", "--all").stdout
    status = env.wait_rotations(2)
    assert [h["reason"] for h in status["history"]] == ["OnDemand", "OnDemand"]


# -- suspend and resume -------------------------------------------------------------------------
def test_suspend_holds_requests_until_resume(env: Env) -> None:
    env.apply_credential()
    env.wait_adopted()
    assert "suspended" in aoc(env, "suspend", "creds").stdout
    assert env.credential()["spec"]["suspend"] is True
    wait_until(
        lambda: condition(env.status(), "Rotating").get("reason") == "Suspended",
        timeout=30,
        what="the Suspended condition",
    )
    aoc(env, "rotate", "creds")
    generation = env.credential()["metadata"]["generation"]
    wait_until(
        lambda: env.status().get("observedGeneration") == generation,
        timeout=30,
        what="the operator seeing the request while suspended",
    )
    assert not env.status().get("rotation") and not env.status().get("history")
    assert "(suspended" in aoc(env, "status", "creds").stdout

    assert "resumed" in aoc(env, "resume", "creds").stdout
    assert env.credential()["spec"]["suspend"] is False
    status = env.wait_rotations(1)
    assert status["history"][0]["reason"] == "OnDemand"


# -- check ---------------------------------------------------------------------------------------
def check(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return aoc(env, "check", *args, "--ims-url", env.sim.url, "--api-url", env.sim.url, check=False)


def test_check_passes_for_a_working_credential_and_changes_nothing(env: Env) -> None:
    env.apply_credential()
    before = env.adobe_secrets()
    done = check(env, "creds")
    assert done.returncode == 0, done.stdout
    for line in ("[ok]   spec", "[ok]   Secret", "[ok]   token", "[ok]   secrets list"):
        assert line in done.stdout, done.stdout
    assert "[ok]   secret count: 1 of 2" in done.stdout
    assert "all checks passed" in done.stdout
    # Read-only: no client secret added or deleted (a token marks the secret used, nothing more).
    assert [s["uuid"] for s in env.adobe_secrets()] == [s["uuid"] for s in before]


def test_check_during_a_drain_uses_the_new_secret_and_never_moves_the_old_ones_last_use(
    env: Env,
) -> None:
    env.apply_credential(
        rotation={"drainPeriod": "1h", "checkInterval": "1s", "maxWait": "2h", "interval": "720h"}
    )
    env.wait_adopted()
    env.request_rotation()
    rotation = wait_until(
        lambda: (r := env.status().get("rotation") or {}).get("step") == "Drain" and r,
        timeout=90,
        what="the rotation draining",
    )
    old, new = rotation["oldSecretUuid"], rotation["newSecretUuid"]
    before = {s["uuid"]: s for s in env.adobe_secrets()}
    since = env.sim.now_ms()

    done = check(env, "creds")
    assert done.returncode == 0, done.stdout
    out = done.stdout
    said = out.index("calling Adobe next")
    assert said < out.index("[ok]   token"), "it says what it will call before calling it"
    assert f"Secret {env.namespace}/adobe-creds holds now" in out
    assert "counts it as a use of that client secret" in out
    assert f"rotation {rotation['id']} is in progress (step Drain)" in out
    assert env.app_secret_value() not in out

    after = {s["uuid"]: s for s in env.adobe_secrets()}
    assert after[old]["last_used_at"] == before[old]["last_used_at"], "the old secret stays unused"
    assert after[new]["last_used_at"] >= since, "check's token was made with the new secret"
    assert env.status()["rotation"]["step"] == "Drain"


def test_check_of_a_manifest_before_it_is_applied(env: Env, tmp_path: Path) -> None:
    manifest = tmp_path / "creds.yaml"
    spec: dict[str, Any] = {"orgId": ORG, "credentialId": CRED, "secretName": "adobe-creds"}
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "AdobeOAuthCredential",
                "metadata": {"name": "draft"},
                "spec": spec,
            }
        )
    )
    assert check(env, "-f", str(manifest)).returncode == 0

    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "AdobeOAuthCredential",
                "metadata": {"name": "draft"},
                "spec": {**spec, "credentialId": "999"},
            }
        )
    )
    done = check(env, "-f", str(manifest))
    assert done.returncode == 1
    assert "[FAIL] secrets list" in done.stdout
    assert "spec.credentialId 999" in done.stdout and "Developer Console URL" in done.stdout


def test_check_names_a_missing_secret_key_and_skips_the_rest(env: Env) -> None:
    env.apply_credential(secretKeys={"clientSecret": "WRONG_KEY"})
    done = check(env, "creds")
    assert done.returncode == 1
    assert "[FAIL] Secret" in done.stdout and "lacks WRONG_KEY" in done.stdout
    assert "fix:" in done.stdout
    assert "[skip] token" in done.stdout


def test_check_finds_a_wrong_client_secret(env: Env) -> None:
    # Suspended: the operator leaves the Secret alone (no drift handling) while it is wrong.
    env.apply_credential(suspend=True)
    env.cluster.core.patch_namespaced_secret(
        "adobe-creds", env.namespace, {"stringData": {"ADOBE_CLIENT_SECRET": "p8e-not-the-secret"}}
    )
    done = check(env, "creds")
    assert done.returncode == 1
    assert "[FAIL] token" in done.stdout and "current client secret" in done.stdout
    assert "[skip] secrets list" in done.stdout
    assert "p8e-not-the-secret" not in done.stdout


@pytest.mark.sim_secrets("p8e-a-second-secret-nobody-uses")
def test_check_fails_when_the_credential_already_holds_two_secrets(env: Env) -> None:
    env.apply_credential(suspend=True)
    done = check(env, "creds")
    assert done.returncode == 1
    assert "[FAIL] secret count" in done.stdout
    assert "delete the client secret the Secret does not hold" in done.stdout
    assert "p8e-a-second-secret-nobody-uses" not in done.stdout


def test_check_of_a_missing_secret_says_how_to_create_it(env: Env) -> None:
    env.apply_credential(secretName="not-there", suspend=True)
    done = check(env, "creds")
    assert done.returncode == 1
    assert "not-there does not exist" in done.stdout
    assert "kubectl -n" in done.stdout and "create secret generic not-there" in done.stdout
