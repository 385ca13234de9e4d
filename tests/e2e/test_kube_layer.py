"""The kube layer against the real API server: Secrets, pending Secrets, workloads, events."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from adobe_oauth_operator.kube import errors
from adobe_oauth_operator.kube import workloads as workload_module
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credential_secrets import (
    OwnerRef,
    delete_pending_secret,
    pending_secret_name,
    read_app_secret,
    read_pending_secret,
    write_app_secret,
    write_pending_secret,
)
from adobe_oauth_operator.kube.credentials import get_credential, patch_credential_status
from adobe_oauth_operator.kube.events import emit_event
from adobe_oauth_operator.kube.rest import NamespacedResource
from adobe_oauth_operator.kube.rollouts import restart_workload, rollout_state
from adobe_oauth_operator.kube.workloads import discover_jobs, discover_workloads
from adobe_oauth_operator.names import API_VERSION, FIELD_MANAGER, GROUP, KIND, PLURAL, VERSION
from adobe_oauth_operator.rotation.messages import RestartResult
from adobe_oauth_operator.rotation.model import JobConsumer, Target
from adobe_oauth_operator.sensitive import Sensitive
from support import workloads
from support.cluster import LocalCluster
from support.waiting import async_wait_until, wait_until

UUID_KEY = "adobe-oauth-operator.dev/secret-uuid"
ROTATION_KEY = "adobe-oauth-operator.dev/rotation-id"
NEW_VALUE = "p8e-NEW-secret-value-never-logged"


@pytest.fixture
def kc(cluster: LocalCluster) -> KubeClients:
    return KubeClients.from_api_client(cluster.api)


@pytest.fixture
def owner(cluster: LocalCluster, namespace: str, crd_installed: Any) -> OwnerRef:
    """A real AdobeOAuthCredential to own pending Secrets and receive Events."""
    obj = cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, credential_manifest("adobe")
    )
    meta = obj["metadata"]
    return OwnerRef(API_VERSION, KIND, meta["name"], meta["uid"], namespace=namespace)


def credential_manifest(name: str) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {"orgId": "123", "credentialId": "456", "secretName": "creds"},
    }


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def raw_secret(cluster: LocalCluster, namespace: str, name: str) -> dict[str, Any]:
    secret = cluster.core.read_namespaced_secret(name, namespace)
    return dict(cluster.api.sanitize_for_serialization(secret))


def create_app_secret(cluster: LocalCluster, namespace: str, **extra: Any) -> None:
    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {
                "name": "creds",
                "labels": {"team": "checkout"},
                "annotations": {"owner": "alice", UUID_KEY: "old-uuid"},
            },
            "data": {
                "ADOBE_CLIENT_ID": b64("client-1"),
                "ADOBE_CLIENT_SECRET": b64("old-value"),
                "DATABASE_URL": b64("postgres://db"),
            },
            **extra,
        },
    )


# -- the application Secret ---------------------------------------------------------------------
async def test_write_app_secret_keeps_everything_else(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    create_app_secret(cluster, namespace)

    await write_app_secret(
        kc, namespace, "creds", "ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET", "client-1",
        Sensitive(NEW_VALUE), {UUID_KEY: "new-uuid", ROTATION_KEY: "r1"},
    )  # fmt: skip

    secret = raw_secret(cluster, namespace, "creds")
    assert secret["data"] == {
        "ADOBE_CLIENT_ID": b64("client-1"),
        "ADOBE_CLIENT_SECRET": b64(NEW_VALUE),
        "DATABASE_URL": b64("postgres://db"),
    }
    assert secret["metadata"]["labels"] == {"team": "checkout"}
    assert secret["metadata"]["annotations"] == {
        "owner": "alice",
        UUID_KEY: "new-uuid",
        ROTATION_KEY: "r1",
    }
    managers = {m["manager"]: m for m in secret["metadata"]["managedFields"]}
    # The server records a manager for the fields it changed: the value, not the same client id.
    ours = managers[FIELD_MANAGER]["fieldsV1"]
    assert set(ours["f:data"]) == {"f:ADOBE_CLIENT_SECRET"}
    assert set(ours["f:metadata"]["f:annotations"]) == {f"f:{UUID_KEY}", f"f:{ROTATION_KEY}"}

    app = await read_app_secret(kc, namespace, "creds", "ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET")
    assert app is not None
    assert app.client_id == "client-1"
    assert app.client_secret == Sensitive(NEW_VALUE)
    assert app.annotations[UUID_KEY] == "new-uuid"
    assert app.resource_version == secret["metadata"]["resourceVersion"]


async def test_write_app_secret_is_idempotent(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    create_app_secret(cluster, namespace)
    args = ("ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET", "client-1", Sensitive(NEW_VALUE))
    await write_app_secret(kc, namespace, "creds", *args, {UUID_KEY: "u"})
    before = raw_secret(cluster, namespace, "creds")["metadata"]["resourceVersion"]
    await write_app_secret(kc, namespace, "creds", *args, {UUID_KEY: "u"})
    assert raw_secret(cluster, namespace, "creds")["metadata"]["resourceVersion"] == before


async def test_read_app_secret_missing_secret_and_keys(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    assert await read_app_secret(kc, namespace, "creds", "ID", "SECRET") is None
    create_app_secret(cluster, namespace)
    app = await read_app_secret(kc, namespace, "creds", "NO_ID", "NO_SECRET")
    assert app is not None
    assert (app.client_id, app.client_secret) == (None, None)


async def test_write_app_secret_errors_never_show_the_value(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    args = ("ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET", "client-1", Sensitive(NEW_VALUE), {})
    with pytest.raises(errors.NotFound) as missing:
        await write_app_secret(kc, namespace, "creds", *args)
    create_app_secret(cluster, namespace, immutable=True)
    with pytest.raises(errors.Invalid) as immutable:
        await write_app_secret(kc, namespace, "creds", *args)

    for exc in (missing.value, immutable.value):
        text = f"{exc} {exc!r} {exc.args}"
        assert NEW_VALUE not in text
        assert b64(NEW_VALUE) not in text
        assert exc.__cause__ is None  # the ApiException (with the response body) is dropped
    assert immutable.value.status == 422
    assert f"patch Secret {namespace}/creds" in str(immutable.value)


# -- the pending Secret -------------------------------------------------------------------------
async def test_pending_secret_lifecycle(
    cluster: LocalCluster, namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    name = pending_secret_name(owner.name)
    assert name == "adobe-pending"
    assert await read_pending_secret(kc, namespace, owner.name, owner.uid) is None

    await write_pending_secret(kc, namespace, owner, "r1", "uuid-1", Sensitive("first"))
    created = raw_secret(cluster, namespace, name)
    assert created["type"] == "Opaque"
    assert created["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "adobe-oauth-operator",
        "adobe-oauth-operator.dev/credential": owner.name,
        "adobe-oauth-operator.dev/pending": "true",
    }
    assert created["metadata"]["annotations"] == {ROTATION_KEY: "r1", UUID_KEY: "uuid-1"}
    assert created["metadata"]["ownerReferences"] == [
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
            "blockOwnerDeletion": False,
        }
    ]
    assert created["data"] == {"clientSecret": b64("first")}
    pending = await read_pending_secret(kc, namespace, owner.name, owner.uid)
    assert pending is not None
    assert (pending.rotation_id, pending.secret_uuid) == ("r1", "uuid-1")
    assert pending.value == Sensitive("first")

    # The same rotation and uuid again: nothing changes, not even a different value sneaks in.
    await write_pending_secret(kc, namespace, owner, "r1", "uuid-1", Sensitive("other"))
    same = raw_secret(cluster, namespace, name)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    # Another rotation replaces it.
    await write_pending_secret(kc, namespace, owner, "r2", "uuid-2", Sensitive("second"))
    replaced = await read_pending_secret(kc, namespace, owner.name, owner.uid)
    assert replaced is not None
    assert (replaced.rotation_id, replaced.secret_uuid) == ("r2", "uuid-2")
    assert replaced.value == Sensitive("second")

    await delete_pending_secret(kc, namespace, owner.name, owner.uid)
    assert await read_pending_secret(kc, namespace, owner.name, owner.uid) is None
    await delete_pending_secret(kc, namespace, owner.name, owner.uid)  # absent is fine


async def test_pending_secret_is_garbage_collected_with_its_credential(
    cluster: LocalCluster, namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    await write_pending_secret(kc, namespace, owner, "r1", "uuid-1", Sensitive("v"))
    cluster.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, owner.name)
    await async_wait_until(
        lambda: _pending_gone(kc, namespace, owner.name, owner.uid),
        timeout=60,
        what="the garbage collector to delete the pending Secret",
    )


async def _pending_gone(kc: KubeClients, namespace: str, name: str, uid: str) -> bool:
    return await read_pending_secret(kc, namespace, name, uid) is None


async def test_pending_secret_never_takes_over_a_foreign_secret(
    cluster: LocalCluster, namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    name = pending_secret_name(owner.name)
    cluster.core.create_namespaced_secret(
        namespace, {"metadata": {"name": name}, "data": {"clientSecret": b64("users")}}
    )
    with pytest.raises(errors.NotOwned, match="not this resource's pending Secret"):
        await write_pending_secret(kc, namespace, owner, "r1", "uuid-1", Sensitive("v"))
    assert await read_pending_secret(kc, namespace, owner.name, owner.uid) is None
    await delete_pending_secret(kc, namespace, owner.name, owner.uid)
    assert raw_secret(cluster, namespace, name)["data"] == {"clientSecret": b64("users")}


async def test_pending_secret_of_a_long_named_credential(
    cluster: LocalCluster, namespace: str, kc: KubeClients, crd_installed: Any
) -> None:
    long_name = "a" * 240 + ".b" * 6  # 252 characters: a valid name, too long for a label
    obj = cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, credential_manifest(long_name)
    )
    owner = OwnerRef(API_VERSION, KIND, long_name, obj["metadata"]["uid"], namespace)

    await write_pending_secret(kc, namespace, owner, "r1", "uuid-1", Sensitive("v"))

    secret = raw_secret(cluster, namespace, pending_secret_name(long_name))
    assert len(secret["metadata"]["name"]) == 253
    assert len(secret["metadata"]["labels"]["adobe-oauth-operator.dev/credential"]) <= 63
    pending = await read_pending_secret(kc, namespace, long_name, owner.uid)
    assert pending is not None
    assert pending.value == Sensitive("v")


# -- workloads ----------------------------------------------------------------------------------
async def test_discover_workloads_finds_every_consumer_and_only_them(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    manifests = [
        workloads.workload("Deployment", "env", "creds", via="env"),
        workloads.workload("StatefulSet", "env-from", "creds", via="envFrom"),
        workloads.workload("DaemonSet", "volume", "creds", via="volume"),
        workloads.workload("Deployment", "projected", "creds", via="projected"),
        workloads.workload("Deployment", "plain", "creds", via="none"),
        workloads.workload("StatefulSet", "other", "other-creds", via="env"),
        workloads.workload("DaemonSet", "other-volume", "other-creds", via="volume"),
    ]
    for manifest in manifests:
        workloads.create(cluster, namespace, manifest)

    assert await discover_workloads(kc, namespace, "creds") == [
        Target("DaemonSet", "volume"),
        Target("Deployment", "env"),
        Target("Deployment", "projected"),
        Target("StatefulSet", "env-from"),
    ]
    assert await discover_workloads(kc, namespace, "absent") == []


async def test_discovery_reads_small_pages_and_misses_none(
    cluster: LocalCluster, namespace: str, kc: KubeClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list asks for one page of DISCOVERY_PAGE_SIZE; consumers on every page are found."""
    assert workload_module.DISCOVERY_PAGE_SIZE <= 100
    monkeypatch.setattr(workload_module, "DISCOVERY_PAGE_SIZE", 2)
    for i in range(7):
        secret = "creds" if i % 3 == 0 else "other-creds"
        workloads.create(cluster, namespace, workloads.workload("Deployment", f"d{i}", secret))
    limits: list[int] = []
    original = NamespacedResource.list

    def counting_list(self: NamespacedResource, ns: str, **kw: Any) -> Any:
        if self.plural == "deployments":
            limits.append(kw["limit"])
        return original(self, ns, **kw)

    monkeypatch.setattr(NamespacedResource, "list", counting_list)
    found = await discover_workloads(kc, namespace, "creds")
    assert found == [
        Target("Deployment", "d0"),
        Target("Deployment", "d3"),
        Target("Deployment", "d6"),
    ]
    assert limits == [2, 2, 2, 2]  # 7 Deployments, 2 a page


async def test_discovery_covers_rollouts_cron_jobs_and_running_jobs(
    cluster: LocalCluster, namespace: str, kc: KubeClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    for manifest in (
        workloads.workload("Deployment", "web", "creds"),
        workloads.rollout("canary", "creds"),
        workloads.rollout("elsewhere", "other-creds"),
        workloads.cron_job("nightly", "creds"),
        workloads.cron_job("weekly", "other-creds"),
        workloads.job("backfill", "creds"),
    ):
        workloads.create(cluster, namespace, manifest)
    assert await discover_workloads(kc, namespace, "creds") == [
        Target("Deployment", "web"),
        Target("Rollout", "canary"),
    ]

    async def both() -> tuple[JobConsumer, ...] | None:
        found = await discover_jobs(kc, namespace, "creds")
        return found if len(found) == 2 else None  # the Job counts once it has started

    jobs = await async_wait_until(both, timeout=30, what="the Job running")
    assert [(j.kind.value, j.name) for j in jobs] == [("CronJob", "nightly"), ("Job", "backfill")]
    assert jobs[0].running_since is None and jobs[1].running_since is not None
    # Where Argo Rollouts is not installed, its API answers 404: no Rollouts, not an error.
    monkeypatch.setattr(workload_module, "ROLLOUT_GROUP", "argoproj-not-installed.io")
    assert await discover_workloads(kc, namespace, "creds") == [Target("Deployment", "web")]


@pytest.fixture
def app_secret(cluster: LocalCluster, namespace: str) -> str:
    create_app_secret(cluster, namespace)
    return "creds"


def ready_workload(cluster: LocalCluster, namespace: str, kind: str, name: str) -> dict[str, str]:
    """Create a 2-replica workload reading `creds`; return its Ready pods once rolled out."""
    workloads.create(cluster, namespace, workloads.workload(kind, name, "creds", replicas=2))
    expected = 1 if kind == "DaemonSet" else 2  # one fake node
    return wait_until(
        lambda: (
            workloads.rollout_complete(cluster, namespace, kind, name)
            and (pods := workloads.ready_pods(cluster, namespace, name))
            and len(pods) == expected
            and pods
        ),
        timeout=60,
        what=f"{kind} {name} Ready",
    )


@pytest.mark.parametrize("kind", workloads.KINDS)
async def test_restart_rolls_once_per_rotation_id(
    cluster: LocalCluster, namespace: str, kc: KubeClients, app_secret: str, kind: str
) -> None:
    name = kind.lower()
    ref = Target(kind, name)
    before = ready_workload(cluster, namespace, kind, name)
    unstamped = await rollout_state(kc, namespace, ref, "r1")
    assert not unstamped.complete
    assert "not restarted" in unstamped.message
    generation = workloads.read(cluster, namespace, kind, name).metadata.generation

    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.RESTARTED
    restarted = workloads.read(cluster, namespace, kind, name)
    assert restarted.metadata.generation == generation + 1
    assert restarted.spec.template.metadata.annotations[ROTATION_KEY] == "r1"

    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.ALREADY
    assert workloads.read(cluster, namespace, kind, name).metadata.generation == generation + 1

    state = await async_wait_until(
        lambda: _complete(kc, namespace, ref, "r1"), timeout=90, what=f"{kind} rollout"
    )
    assert "rolled out" in state.message
    after = wait_until(
        lambda: (
            workloads.rollout_complete(cluster, namespace, kind, name)
            and workloads.ready_pods(cluster, namespace, name)
        ),
        timeout=60,
        what=f"{kind} pods Ready after the restart",
    )
    assert before.keys().isdisjoint(after.keys()), "every pod was replaced"
    assert not (await rollout_state(kc, namespace, ref, "r2")).complete


async def test_argo_rollout_restarts_once_per_rotation_id_and_pauses_are_respected(
    cluster: LocalCluster, namespace: str, kc: KubeClients, app_secret: str
) -> None:
    """Against the real Argo Rollouts controller that hack/local-cluster runs."""
    ref = Target("Rollout", "canary")
    workloads.create(cluster, namespace, workloads.rollout("canary", "creds"))

    def read() -> dict[str, Any]:
        return dict(
            cluster.custom.get_namespaced_custom_object(
                "argoproj.io", "v1alpha1", namespace, "rollouts", "canary"
            )
        )

    wait_until(
        lambda: (read().get("status") or {}).get("phase") == "Healthy",
        timeout=60,
        what="Rollout Healthy",
    )
    before = workloads.ready_pods(cluster, namespace, "canary")
    assert "not restarted" in (await rollout_state(kc, namespace, ref, "r1")).message
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.RESTARTED
    stamped = read()
    assert stamped["metadata"]["annotations"][ROTATION_KEY] == "r1"
    assert stamped["spec"]["restartAt"]
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.ALREADY
    assert read()["spec"]["restartAt"] == stamped["spec"]["restartAt"]
    state = await async_wait_until(
        lambda: _complete(kc, namespace, ref, "r1"), timeout=90, what="Rollout restarted"
    )
    assert "Healthy" in state.message
    assert read()["status"]["restartedAt"] == stamped["spec"]["restartAt"]
    after = wait_until(
        lambda: workloads.ready_pods(cluster, namespace, "canary"), timeout=60, what="new pod"
    )
    assert before.keys().isdisjoint(after.keys()), "the controller replaced the pod"

    cluster.custom.patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", namespace, "rollouts", "canary", {"spec": {"paused": True}}
    )
    assert await restart_workload(kc, namespace, ref, "r2") == RestartResult.PAUSED
    assert read()["spec"]["restartAt"] == stamped["spec"]["restartAt"], "nothing patched"


async def _complete(kc: KubeClients, namespace: str, ref: Target, rotation_id: str) -> Any:
    state = await rollout_state(kc, namespace, ref, rotation_id)
    return state if state.complete else None


async def test_on_delete_stateful_set_waits_for_deleted_pods(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    manifest = workloads.workload("StatefulSet", "manual", "creds", replicas=1)
    manifest["spec"]["updateStrategy"] = {"type": "OnDelete"}
    workloads.create(cluster, namespace, manifest)
    ref = Target("StatefulSet", "manual")
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.RESTARTED

    waiting = await async_wait_until(
        lambda: _message_containing(kc, namespace, ref, "OnDelete"),
        timeout=30,
        what="the OnDelete message",
    )
    assert not waiting.complete
    cluster.core.delete_namespaced_pod("manual-0", namespace)
    await async_wait_until(
        lambda: _complete(kc, namespace, ref, "r1"), timeout=60, what="the replaced pod"
    )


async def test_progress_deadline_is_reported(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    manifest = workloads.workload("Deployment", "stuck", "creds", replicas=1)
    manifest["spec"]["progressDeadlineSeconds"] = 1
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"no-such-label": "x"}
    workloads.create(cluster, namespace, manifest)
    ref = Target("Deployment", "stuck")
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.RESTARTED

    state = await async_wait_until(
        lambda: _message_containing(kc, namespace, ref, "progress deadline"),
        timeout=60,
        what="ProgressDeadlineExceeded",
    )
    assert not state.complete


async def _message_containing(kc: KubeClients, namespace: str, ref: Target, text: str) -> Any:
    state = await rollout_state(kc, namespace, ref, "r1")
    return state if text in state.message else None


async def test_paused_deployment_is_left_alone(
    cluster: LocalCluster, namespace: str, kc: KubeClients
) -> None:
    manifest = workloads.workload("Deployment", "paused", "creds", replicas=1)
    manifest["spec"]["paused"] = True
    workloads.create(cluster, namespace, manifest)
    generation = workloads.read(cluster, namespace, "Deployment", "paused").metadata.generation

    ref = Target("Deployment", "paused")
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.PAUSED

    obj = workloads.read(cluster, namespace, "Deployment", "paused")
    assert obj.metadata.generation == generation
    assert ROTATION_KEY not in (obj.spec.template.metadata.annotations or {})


async def test_missing_workload(namespace: str, kc: KubeClients) -> None:
    ref = Target("StatefulSet", "gone")
    assert await restart_workload(kc, namespace, ref, "r1") == RestartResult.NOT_FOUND
    state = await rollout_state(kc, namespace, ref, "r1")
    assert not state.complete
    assert "missing" in state.message


# -- events -------------------------------------------------------------------------------------
async def test_emit_event(
    cluster: LocalCluster, namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    await emit_event(kc, owner, "Warning", "RotationFailed", "é" * 2000)

    events = cluster.core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.uid={owner.uid}"
    ).items
    assert len(events) == 1
    event = events[0]
    involved = event.involved_object
    assert (involved.api_version, involved.kind, involved.name, involved.namespace) == (
        API_VERSION,
        KIND,
        owner.name,
        namespace,
    )
    assert involved.uid == owner.uid
    assert (event.type, event.reason, event.count) == ("Warning", "RotationFailed", 1)
    assert event.source.component == event.reporting_component == "adobe-oauth-operator"
    assert event.metadata.name.startswith(f"{owner.name}.")
    assert len(event.message.encode()) <= 1024
    assert event.message.endswith("...")


async def test_emit_event_never_raises(
    kc: KubeClients, owner: OwnerRef, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = OwnerRef(owner.api_version, owner.kind, owner.name, owner.uid, "no-such-namespace")
    with caplog.at_level(logging.WARNING):
        await emit_event(kc, nowhere, "Normal", "Rotated", "done")
    assert "event Rotated not recorded" in caplog.text


# -- the AdobeOAuthCredential -------------------------------------------------------------------
async def test_patch_credential_status_round_trips(
    namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    condition = {
        "type": "Ready",
        "status": "True",
        "reason": "Adopted",
        "message": "ok",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    rotation = {"id": "r1", "step": "Add", "reason": "OnDemand"}
    status = {"phase": "Rotating", "conditions": [condition], "rotation": rotation}

    updated = await patch_credential_status(kc, namespace, owner.name, {"status": status})
    assert updated["status"] == status
    assert updated["spec"]["secretName"] == "creds"

    # null clears a field (the rotation ended); fields not named are kept.
    cleared = await patch_credential_status(
        kc, namespace, owner.name, {"status": {"phase": "Ready", "rotation": None}}
    )
    assert cleared["status"] == {"phase": "Ready", "conditions": [condition]}
    fetched = await get_credential(kc, namespace, owner.name)
    assert fetched is not None
    assert fetched["status"] == cleared["status"]
    managers = {(m["manager"], m.get("subresource")) for m in fetched["metadata"]["managedFields"]}
    assert (FIELD_MANAGER, "status") in managers


async def test_invalid_status_is_rejected_by_name(
    namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    with pytest.raises(errors.Invalid, match=r"status\.phase"):
        await patch_credential_status(kc, namespace, owner.name, {"status": {"phase": "Bogus"}})


async def test_get_missing_credential(namespace: str, kc: KubeClients, crd_installed: Any) -> None:
    assert await get_credential(kc, namespace, "absent") is None
    with pytest.raises(errors.NotFound):
        await patch_credential_status(kc, namespace, "absent", {"status": {"phase": "Ready"}})


async def test_status_write_with_a_stale_resource_version_conflicts(
    namespace: str, kc: KubeClients, owner: OwnerRef
) -> None:
    seen = await get_credential(kc, namespace, owner.name)
    assert seen is not None
    stale = seen["metadata"]["resourceVersion"]
    fresh = await patch_credential_status(
        kc,
        namespace,
        owner.name,
        {"metadata": {"resourceVersion": stale}, "status": {"phase": "Ready"}},
    )
    with pytest.raises(errors.Conflict):
        await patch_credential_status(
            kc,
            namespace,
            owner.name,
            {"metadata": {"resourceVersion": stale}, "status": {"phase": "Failed"}},
        )
    current = await get_credential(kc, namespace, owner.name)
    assert current is not None
    assert current["status"]["phase"] == "Ready"
    assert current["metadata"]["resourceVersion"] == fresh["metadata"]["resourceVersion"]
