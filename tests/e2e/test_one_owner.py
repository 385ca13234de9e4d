"""One owner per Secret and per Adobe credential, and a rotation that keeps to its credential:
on the real API server, with the simulator as Adobe."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.names import GROUP, OWNER_ANNOTATION, PLURAL, VERSION
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import CredentialIds, Spec
from support.cluster import fresh_namespace
from support.operator_env import CRED, FAST_ROTATION, ORG, Env, condition
from support.processes import OperatorProcess
from support.waiting import wait_until


def _calls(env: Env, kind: str) -> int:
    return sum(env.sim.state()["requests"][kind].values())


def _status(env: Env, name: str, namespace: str | None = None) -> dict[str, Any]:
    obj = env.cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, namespace or env.namespace, PLURAL, name
    )
    return dict(obj.get("status") or {})


def _wait_stalled(env: Env, name: str, reason: str, namespace: str | None = None) -> dict[str, Any]:
    status = wait_until(
        lambda: (
            (s := _status(env, name, namespace)).get("phase") == "Stalled"
            and condition(s, "Stalled").get("reason") == reason
            and s
        ),
        timeout=60,
        what=f"{name} Stalled with {reason}",
    )
    return dict(status)


def _wait_ready(env: Env, name: str, namespace: str | None = None) -> dict[str, Any]:
    status = wait_until(
        lambda: (
            (s := _status(env, name, namespace)).get("phase") == "Ready"
            and s.get("currentSecretUuid")
            and s
        ),
        timeout=60,
        what=f"{name} adopted and Ready",
    )
    return dict(status)


def _wait_rotated(env: Env, name: str) -> dict[str, Any]:
    status = wait_until(
        lambda: (
            (s := _status(env, name)).get("history")
            and not s.get("rotation")
            and s.get("phase") == "Ready"
            and s
        ),
        timeout=120,
        what=f"a rotation of {name}",
    )
    return dict(status)


def _owner(env: Env, secret: str = "adobe-creds", namespace: str | None = None) -> str | None:
    found = env.cluster.core.read_namespaced_secret(secret, namespace or env.namespace)
    return (found.metadata.annotations or {}).get(OWNER_ANNOTATION)


def _uid(env: Env, name: str, namespace: str | None = None) -> str:
    obj = env.cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, namespace or env.namespace, PLURAL, name
    )
    return str(obj["metadata"]["uid"])


def _delete(env: Env, name: str, namespace: str | None = None) -> None:
    ns = namespace or env.namespace
    env.cluster.custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)
    wait_until(
        lambda: all(
            o["metadata"]["name"] != name
            for o in env.cluster.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)[
                "items"
            ]
        ),
        timeout=60,
        what=f"{ns}/{name} gone",
    )


def _copy_app_secret(env: Env, namespace: str, name: str = "adobe-creds") -> None:
    env.cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": name},
            "stringData": {
                "ADOBE_CLIENT_ID": env.client_id,
                "ADOBE_CLIENT_SECRET": env.app_secret_value(),
            },
        },
    )


def test_a_second_resource_naming_a_claimed_secret_waits_until_the_owner_is_gone(
    env: Env,
) -> None:
    env.apply_credential("first")
    first = _wait_ready(env, "first")
    assert first["claim"]["confirmed"] is True
    assert _owner(env) == f"{env.namespace}/first/{_uid(env, 'first')}"
    adds_before = _calls(env, "add")

    env.apply_credential("second")
    stalled = _wait_stalled(env, "second", "SecretClaimed")
    message = condition(stalled, "Stalled")["message"]
    assert f"{env.namespace}/first" in message and "adobe-creds" in message
    assert not stalled.get("currentSecretUuid"), "never adopted"
    assert not (stalled.get("claim") or {}).get("confirmed")
    env.wait_events("SecretClaimed")
    warnings = [e for e in env.events("SecretClaimed") if e.involved_object.name == "second"]
    assert [e.type for e in warnings] == ["Warning"]

    # The first is unaffected: it rotates, and the second neither adds nor deletes anything.
    env.request_rotation(name="first")
    rotated = _wait_rotated(env, "first")
    assert rotated["history"][0]["result"] == "Succeeded"
    assert _calls(env, "add") == adds_before + 1
    assert condition(_status(env, "second"), "Stalled")["reason"] == "SecretClaimed"
    assert _owner(env) == f"{env.namespace}/first/{_uid(env, 'first')}"

    # The owner goes: the second adopts within its checkInterval (1s), no event needed.
    _delete(env, "first")
    second = _wait_ready(env, "second")
    assert second["currentSecretUuid"] == rotated["currentSecretUuid"]
    assert second["claim"]["confirmed"] is True
    assert _owner(env) == f"{env.namespace}/second/{_uid(env, 'second')}"


@contextmanager
def _operator_for(env: Env, *namespaces: str) -> Iterator[OperatorProcess]:
    """One operator watching the env's namespace and `namespaces`, instead of the env's."""
    env.operator.stop()
    extra = [arg for ns in namespaces for arg in ("--namespace", ns)]
    operator = OperatorProcess(
        env.workdir,
        env.cluster.kubeconfig,
        env.namespace,
        env.sim.url,
        *extra,
        log_name="operator-namespaces.log",
    )
    try:
        yield operator
    finally:
        for ns in namespaces:
            env.cluster.custom.delete_collection_namespaced_custom_object(
                GROUP, VERSION, ns, PLURAL
            )
            wait_until(
                lambda ns=ns: (
                    not env.cluster.custom.list_namespaced_custom_object(  # type: ignore[misc]
                        GROUP, VERSION, ns, PLURAL
                    )["items"]
                ),
                timeout=60,
                what=f"credentials in {ns} deleted",
            )
        operator.stop()
        logs = operator.logs()
        assert env.initial_value not in logs and env.app_secret_value() not in logs


def test_the_same_credential_in_two_namespaces_has_one_owner(env: Env) -> None:
    with fresh_namespace(env.cluster) as other, _operator_for(env, other):
        _copy_app_secret(env, other)
        env.apply_credential("first")
        first = _wait_ready(env, "first")
        env.apply_credential("second", namespace=other)
        stalled = _wait_stalled(env, "second", "CredentialClaimed", other)
        message = condition(stalled, "Stalled")["message"]
        assert f"orgId {ORG}, credentialId {CRED}" in message
        assert f"{env.namespace}/first (uid {_uid(env, 'first')})" in message
        # Its own Secret is its own: the refusal is about the credential only.
        assert _owner(env, namespace=other) == f"{other}/second/{_uid(env, 'second', other)}"
        assert _status(env, "first")["phase"] == "Ready"

        _delete(env, "first")
        second = _wait_ready(env, "second", other)
        assert second["currentSecretUuid"] == first["currentSecretUuid"]


def test_a_token_secret_named_like_anothers_pending_secret_is_refused(env: Env) -> None:
    env.apply_credential("first")
    _wait_ready(env, "first")
    _copy_app_secret(env, env.namespace, "second-creds")
    env.apply_credential(
        "second", secretName="second-creds", accessToken={"secretName": "first-pending"}
    )
    stalled = _wait_stalled(env, "second", "SecretNameReserved")
    message = condition(stalled, "Stalled")["message"]
    assert "spec.accessToken.secretName first-pending" in message
    assert f"{env.namespace}/first" in message and "pending Secret" in message
    names = {s.metadata.name for s in env.cluster.core.list_namespaced_secret(env.namespace).items}
    assert "first-pending" not in names, "no token was written into the name"
    # The name stays free for the first resource's rotation.
    env.request_rotation(name="first")
    assert _wait_rotated(env, "first")["history"][0]["result"] == "Succeeded"


def test_editing_the_credential_mid_rotation_stalls_and_deletes_nothing(env: Env) -> None:
    other_client = secrets.token_hex(16)
    other_value = f"p8e-{secrets.token_urlsafe(24)}"
    env.sim.call(
        "POST",
        "/__sim/credentials",
        {
            "org_id": ORG,
            "credential_id": "1111111",
            "client_id": other_client,
            "secrets": [other_value],
            "age_s": 7200,
        },
    )
    env.apply_credential(rotation={**FAST_ROTATION, "drainPeriod": "1h", "maxWait": "2h"})
    env.wait_adopted()
    env.request_rotation()
    draining = wait_until(
        lambda: ((s := env.status()).get("rotation") or {}).get("step") == "Drain" and s,
        timeout=90,
        what="the rotation draining",
    )
    recorded = draining["rotation"]
    assert (recorded["orgId"], recorded["credentialId"], recorded["clientId"]) == (
        ORG,
        CRED,
        env.client_id,
    )
    deletes = _calls(env, "delete")
    before = {s["uuid"] for s in env.adobe_secrets()}
    other_before = env.sim.secrets("1111111")
    assert len(before) == 2

    env.cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, PLURAL, "creds", {"spec": {"credentialId": "1111111"}}
    )
    stalled = _wait_stalled(env, "creds", "SpecChangedMidRotation")
    message = condition(stalled, "Stalled")["message"]
    assert f"credentialId '{CRED}' -> '1111111'" in message
    assert stalled["rotation"]["credentialId"] == CRED, "the recorded ids are kept"
    assert [e.type for e in env.wait_events("SpecChangedMidRotation")] == ["Warning"]
    assert _calls(env, "delete") == deletes
    assert {s["uuid"] for s in env.adobe_secrets()} == before
    assert env.sim.secrets("1111111") == other_before

    # Put the id back: the rotation resumes; the emergency ends the drain.
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, PLURAL, "creds", {"spec": {"credentialId": CRED}}
    )
    env.request_rotation(emergency=True)
    env.wait_rotations(1, timeout=120)
    env.assert_clean_end_state(1)
    assert env.sim.secrets("1111111") == other_before


async def test_a_delete_is_sent_only_to_the_credential_the_rotation_recorded(env: Env) -> None:
    """The executor's own check, below the machine's: a delete for another credential is
    refused before Adobe is called, and "not found" counts as deleted for the recorded one."""
    env.operator.stop()  # this test is the only caller
    env.apply_credential()
    uid = _uid(env, "creds")
    recorded = CredentialIds(ORG, CRED, env.client_id)
    adobe = AdobeClient(ims_url=env.sim.url, api_url=env.sim.url)
    kube = KubeClients.from_api_client(env.cluster.api)
    try:
        edited = Spec(org_id=ORG, credential_id="1111111", secret_name="adobe-creds")
        executor = Executor(adobe, kube, Resource(env.namespace, "creds", uid, edited, None))
        [current] = env.adobe_secrets()
        delete = m.DeleteSecret(current["uuid"], m.Using.APP_SECRET, credential=recorded)
        refused = await executor.run(delete)
        assert isinstance(refused, m.ActionFailed)
        assert refused.kind is m.ErrorKind.SPEC_CHANGED
        assert "1111111" in refused.message and CRED in refused.message
        assert _calls(env, "delete") == 0 and len(env.adobe_secrets()) == 1

        same = Spec(org_id=ORG, credential_id=CRED, secret_name="adobe-creds")
        executor = Executor(adobe, kube, Resource(env.namespace, "creds", uid, same, None))
        gone = "0" * 32
        answer = await executor.run(m.DeleteSecret(gone, m.Using.APP_SECRET, credential=recorded))
        assert answer == m.SecretDeleted(gone), "already gone from the recorded credential"
        assert len(env.adobe_secrets()) == 1
    finally:
        await adobe.aclose()
