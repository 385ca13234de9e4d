"""Upgrading the operator while rotations are in flight loses nothing: from the chart and image
of the previous main commit (built from a git worktree of it) to this checkout's, by `helm
upgrade` and by Argo CD syncing a commit that bumps the chart.

Each credential's rotation is held at another step under the old operator (its Adobe calls
failing, its old secret kept in use, an admission policy refusing the new value in its Secret, or
its workload's new pod unschedulable), the upgrade rolls the Deployment (the old pod's process
gets SIGTERM while the new one starts: they may overlap), the new operator takes every resource
over, then the holds are released. The simulator and the API server then show every rotation
completed with exactly one add and one delete, nothing orphaned, the Secret holding a secret
Adobe has at every moment, and each workload restarted once.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import (
    GROUP,
    PLURAL,
    ROTATE_ANNOTATION,
    ROTATION_ID_ANNOTATION,
    VERSION,
)
from adobe_oauth_operator.timings import ACTION_LEASE
from support import workloads
from support.admission_policies import Policies, installed_policies, wait_enforced
from support.argocd import ArgoCD, GitRepo, start_argocd, stop_argocd
from support.chart import CHART, Helm, check
from support.cluster import REPO, LocalCluster, fresh_namespace
from support.crds import apply_crd, recreate_crd
from support.image import IMAGE, BuiltImage, built_image, mounted_rootfs
from support.invariants import SecretWatch
from support.kubelet import Kubelet
from support.processes import SimProcess, sha256
from support.waiting import wait_until

# The main commit issue 22 starts from: the release users upgrade from.
OLD_COMMIT = "899734a"
OLD_IMAGE = f"localhost/adobe-oauth-operator:{OLD_COMMIT}"
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
OPERATOR_PODS = "app.kubernetes.io/name=adobe-oauth-operator"
ORG = "1234567"
# Where each credential's rotation is when the upgrade happens, and how it is held there:
# (sim endpoint that fails for it, or None) ; "Adopt" is a resource not adopted yet.
HOLDS: dict[str, tuple[str, str | None]] = {
    "adopt": ("Adopt", "list"),
    "prepare": ("Prepare", "list"),
    "add": ("Add", "add"),
    "verify": ("Verify", "token"),
    "update-secret": ("UpdateSecret", None),  # a policy refuses changing its Secret's data
    "rollout": ("Rollout", None),  # its workload's new pod cannot be scheduled
    "drain": ("Drain", None),  # the old secret is kept in use
    "delete-old": ("DeleteOld", "delete"),
    # Requested last, not held: wherever it is when the old process gets SIGTERM (maybe mid-call).
    "in-flight": ("Any", None),
}
ROTATING = [name for name, (step, _) in HOLDS.items() if step != "Adopt"]
CREDENTIAL_IDS = {name: str(7100001 + i) for i, name in enumerate(HOLDS)}
# Fast steps, but a drain held by a consumer waits (no stall) for the whole test.
ROTATION = {"drainPeriod": "2s", "checkInterval": "1s", "maxWait": "10m"}
# The held rollout waits (no stall) for the whole test too: past its timeout a rotation stalls
# with RolloutTimeout (and still finishes once the rollout does), which is not what is held here.
ROLLOUT_TIMEOUT = {"rollout": "10m"}


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout


@dataclass(frozen=True)
class Release:
    """A checkout's chart, CRD and image reference, and the image built from it."""

    chart: Path
    crd: dict[str, Any]
    image: BuiltImage
    rootfs: Path

    @property
    def values(self) -> dict[str, Any]:
        repository, _, tag = self.image.name.rpartition(":")
        return {"image": {"repository": repository, "tag": tag}}

    @property
    def served_version(self) -> str:
        """The version this CRD stores (the old one may serve fewer than names.VERSION)."""
        return str(next(v["name"] for v in self.crd["spec"]["versions"] if v["storage"]))


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Release, Release]]:
    """The previous commit's release (a git worktree: its own chart, CRD and hack/image; the
    build is skipped when its inputs are unchanged) and this checkout's."""
    old_tree = tmp_path_factory.mktemp("old") / OLD_COMMIT
    _git(REPO, "worktree", "add", "--detach", str(old_tree), OLD_COMMIT)
    try:
        old_image = built_image(old_tree, OLD_IMAGE)
        new_image = built_image()
        old_crd = yaml.safe_load((old_tree / CRD_FILE.relative_to(REPO)).read_text())
        with mounted_rootfs(old_image.name) as old_root, mounted_rootfs(IMAGE) as new_root:
            yield (
                Release(old_tree / "charts" / "adobe-oauth-operator", old_crd, old_image, old_root),
                Release(CHART, yaml.safe_load(CRD_FILE.read_text()), new_image, new_root),
            )
    finally:
        _git(REPO, "worktree", "remove", "--force", str(old_tree))


@dataclass
class Scenario:
    """Credentials, their Secrets and workloads, the simulator, and one held rotation each."""

    cluster: LocalCluster
    namespace: str
    sim: SimProcess
    # The API version resources are read and written with: the old CRD's, then names.VERSION.
    version: str
    client_ids: dict[str, str] = field(default_factory=dict)
    initial: dict[str, str] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    _drain_stop: threading.Event = field(default_factory=threading.Event)
    _drain_thread: threading.Thread | None = None
    # The holds kept in Kubernetes (an admission policy, a node label), undone at release.
    _kube_holds: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @classmethod
    def create(cls, cluster: LocalCluster, namespace: str, workdir: Path, version: str) -> Scenario:
        client_ids = {name: secrets.token_hex(16) for name in HOLDS}
        initial = {name: f"p8e-{secrets.token_urlsafe(24)}" for name in HOLDS}
        sim = SimProcess(
            workdir,
            [
                {
                    "org_id": ORG,
                    "credential_id": CREDENTIAL_IDS[name],
                    "client_id": client_ids[name],
                    "secrets": [initial[name]],
                    "age_s": 7200,
                }
                for name in HOLDS
            ],
            # The old operator reads the uuid of a new secret from the add answer, which the
            # guide's samples give (the description's add answer has none: 5e9ad2e and later).
            "--dialect",
            "guide",
        )
        world = cls(cluster, namespace, sim, version, client_ids, initial)
        for name in HOLDS:
            cluster.core.create_namespaced_secret(
                namespace,
                {
                    "metadata": {"name": f"{name}-creds"},
                    "stringData": {
                        "ADOBE_CLIENT_ID": client_ids[name],
                        "ADOBE_CLIENT_SECRET": initial[name],
                    },
                },
            )
            manifest = workloads.workload("Deployment", f"web-{name}", f"{name}-creds", replicas=1)
            if name == "rollout":  # schedulable only on nodes without the hold's label
                manifest["spec"]["template"]["spec"]["affinity"] = _avoiding(
                    _rollout_hold_label(namespace)
                )
            workloads.create(cluster, namespace, manifest)
        return world

    # -- reading ------------------------------------------------------------------------------
    def status(self, name: str) -> dict[str, Any]:
        obj = self.cluster.custom.get_namespaced_custom_object(
            GROUP, self.version, self.namespace, PLURAL, name
        )
        return dict(obj.get("status") or {})

    def secret_value(self, name: str) -> str:
        secret = self.cluster.core.read_namespaced_secret(f"{name}-creds", self.namespace)
        return base64.b64decode(secret.data["ADOBE_CLIENT_SECRET"]).decode()

    def generation(self, name: str) -> int:
        deployment = self.cluster.apps.read_namespaced_deployment(f"web-{name}", self.namespace)
        return int(deployment.metadata.generation)

    def watches(self) -> list[SecretWatch]:
        return [
            SecretWatch(
                self.cluster, self.namespace, self.sim, CREDENTIAL_IDS[n], secret_name=f"{n}-creds"
            )
            for n in HOLDS
        ]

    # -- the old operator's rotations, each held at its step ----------------------------------
    def hold_everything(self) -> None:
        """Create the resources (under the old CRD's version), adopt, then start each rotation
        and wait until it sits at its step."""
        step, endpoint = HOLDS["adopt"]
        self._fail(CREDENTIAL_IDS["adopt"], endpoint)
        for name in HOLDS:
            self.cluster.custom.create_namespaced_custom_object(
                GROUP,
                self.version,
                self.namespace,
                PLURAL,
                {
                    "apiVersion": f"{GROUP}/{self.version}",
                    "kind": "AdobeOAuthCredential",
                    "metadata": {"name": name},
                    "spec": {
                        "orgId": ORG,
                        "credentialId": CREDENTIAL_IDS[name],
                        "secretName": f"{name}-creds",
                        "rotation": dict(ROTATION),
                        "rollout": {"timeout": ROLLOUT_TIMEOUT.get(name, "60s")},
                    },
                },
            )
        for name in ROTATING:
            wait_until(
                lambda name=name: (
                    (s := self.status(name)).get("currentSecretUuid") and s.get("phase") == "Ready"
                ),
                timeout=90,
                what=f"{name} adopted by the old operator",
            )
        self.generations = {name: self.generation(name) for name in HOLDS}
        self._drain_thread = threading.Thread(target=self._keep_old_secret_in_use, daemon=True)
        self._drain_thread.start()
        self._refuse_new_value("update-secret")
        self._unschedulable_new_pods()
        for name in ROTATING:
            endpoint = HOLDS[name][1]
            if endpoint is not None:
                self._fail(CREDENTIAL_IDS[name], endpoint)
            if name != "in-flight":
                self._request_rotation(name)
        for name, (step, _) in HOLDS.items():
            wait_until(
                lambda name=name, step=step: self._held(name, step),
                timeout=90,
                what=f"{name} held at {step}",
            )
        self._request_rotation("in-flight")

    def _request_rotation(self, name: str) -> None:
        patch = {"metadata": {"annotations": {ROTATE_ANNOTATION: secrets.token_hex(4)}}}
        self.cluster.custom.patch_namespaced_custom_object(
            GROUP, self.version, self.namespace, PLURAL, name, patch
        )

    def _held(self, name: str, step: str) -> bool:
        if step == "Any":
            return True
        status = self.status(name)
        if step == "Adopt":
            return not status.get("currentSecretUuid") and bool(status.get("retry"))
        rotation = status.get("rotation") or {}
        if rotation.get("step") != step:
            return False
        if step == "UpdateSecret":  # the refused write recorded, to be tried again
            return (status.get("retry") or {}).get("action") == "WriteAppSecret"
        if step == "Rollout":  # restarted, its new pod not scheduled
            targets = rotation.get("targets") or []
            return [(t["name"], t["restarted"], t["complete"]) for t in targets] == [
                (f"web-{name}", True, False)
            ]
        # A failed call recorded (retrying), or for the drain: the old secret seen in use.
        return step == "Drain" or bool(status.get("retry"))

    def _keep_old_secret_in_use(self) -> None:
        """A consumer outside the cluster still using the old secret: the drain cannot end."""
        while not self._drain_stop.wait(0.3):
            self.sim.use(self.client_ids["drain"], self.initial["drain"])

    def _refuse_new_value(self, name: str) -> None:
        """A policy on the API server refusing any change of the data of `name`'s Secret (the
        preflight's dry run, annotations only, passes): its rotation stops at UpdateSecret."""
        secret = f"{name}-creds"
        policy = f"hold-{self.namespace}-{secret}"
        docs = [
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicy",
                "metadata": {"name": policy},
                "spec": {
                    "failurePolicy": "Fail",
                    "matchConstraints": {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": self.namespace}
                        },
                        "resourceRules": [
                            {
                                "apiGroups": [""],
                                "apiVersions": ["v1"],
                                "operations": ["UPDATE"],
                                "resources": ["secrets"],
                                "resourceNames": [secret],
                            }
                        ],
                    },
                    "validations": [
                        {
                            "expression": "object.data == oldObject.data",
                            "message": "held by the upgrade test: no new value in this Secret",
                            "reason": "Forbidden",
                        }
                    ],
                },
            },
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": {"name": policy},
                "spec": {"policyName": policy, "validationActions": ["Deny"]},
            },
        ]
        self._kube_holds.enter_context(installed_policies(self.cluster, Policies(docs, "")))
        wait_enforced(lambda: self._data_change_refused(secret), f"{policy} to refuse")

    def _data_change_refused(self, secret: str) -> bool:
        """Whether a (dry-run: nothing stored) change of the Secret's data is refused."""
        patch = {"data": {"ADOBE_CLIENT_SECRET": base64.b64encode(b"probe").decode()}}
        try:
            self.cluster.core.patch_namespaced_secret(secret, self.namespace, patch, dry_run="All")
        except ApiException as exc:
            if exc.status == 403 and "ValidatingAdmissionPolicy" in str(exc.body):
                return True
            raise
        return False

    def _unschedulable_new_pods(self) -> None:
        """Every node labelled so that no new pod of web-rollout fits (its running pod stays):
        the restart's rollout cannot complete, its rotation stays at Rollout."""
        key = _rollout_hold_label(self.namespace)
        for node in self.cluster.core.list_node().items:
            self._kube_holds.callback(self._label_node, node.metadata.name, key, None)
            self._label_node(node.metadata.name, key, "held")

    def _label_node(self, node: str, key: str, value: str | None) -> None:
        self.cluster.core.patch_node(node, {"metadata": {"labels": {key: value}}})

    def _fail(self, credential_id: str, endpoint: str | None) -> None:
        if endpoint is not None:
            self.sim.fault(endpoint=endpoint, status=503, count=10_000, credential_id=credential_id)

    # -- after the upgrade -------------------------------------------------------------------
    def assert_still_held(self) -> None:
        for name, (step, _) in HOLDS.items():
            assert self._held(name, step), (name, self.status(name))
        # The refused write is tried again (within its first backoff steps) and refused again.
        wait_until(
            lambda: (self.status("update-secret").get("retry") or {}).get("attempts", 0) >= 2,
            timeout=30,
            what="the refused Secret write retried",
        )
        assert self._held("update-secret", "UpdateSecret")

    def release(self) -> None:
        self._kube_holds.close()
        for name in HOLDS:
            self.sim.call("DELETE", f"/__sim/faults?credential_id={CREDENTIAL_IDS[name]}")
        self._drain_stop.set()
        if self._drain_thread is not None:
            self._drain_thread.join(timeout=10)

    def next_attempts(self) -> dict[str, float]:
        """Seconds until each failing call's next attempt, as status records it: the operator
        does not try earlier (the new one honours the record the old one wrote)."""
        due = {}
        for name in HOLDS:
            retry = self.status(name).get("retry") or {}
            if retry.get("nextRetryAt"):
                at = datetime.fromisoformat(retry["nextRetryAt"].replace("Z", "+00:00"))
                due[name] = round((at - datetime.now(UTC)).total_seconds(), 1)
        return due

    def wait_done(self, next_attempts: dict[str, float]) -> None:
        """Each resource done within a bound, later if its recorded next attempt is later. The
        bound includes one action lease: an action the old process had in flight when SIGTERM
        came is taken over only once its lease has run out."""
        started = time.monotonic()
        lease = ACTION_LEASE.total_seconds()

        def timeout(name: str, bound: float) -> float:
            due = max(bound + lease, next_attempts.get(name, 0) + 60)
            return max(1.0, started + due - time.monotonic())

        wait_until(
            lambda: (
                self.status("adopt").get("currentSecretUuid")
                and self.status("adopt").get("phase") == "Ready"
            ),
            timeout=timeout("adopt", 120),
            what="adopt adopted",
        )
        for name in ROTATING:
            wait_until(
                lambda name=name: (
                    len((s := self.status(name)).get("history") or []) >= 1
                    and not s.get("rotation")
                ),
                timeout=timeout(name, 180),
                what=f"{name}'s rotation finished",
            )

    def assert_nothing_lost(self) -> None:
        for name in HOLDS:
            status = self.status(name)
            history = status.get("history") or []
            adobe = self.sim.secrets(CREDENTIAL_IDS[name])
            restarts = self.generation(name) - self.generations[name]
            if name == "adopt":
                assert (history, restarts) == ([], 0), (name, status)
                assert [s["value_sha256"] for s in adobe] == [sha256(self.initial[name])]
            else:
                assert [h["result"] for h in history] == ["Succeeded"], (name, history)
                assert status["phase"] == "Ready", (name, status)
                deployment = self.cluster.apps.read_namespaced_deployment(
                    f"web-{name}", self.namespace
                )
                annotations = deployment.spec.template.metadata.annotations or {}
                assert (restarts, annotations.get(ROTATION_ID_ANNOTATION)) == (
                    1,
                    history[0]["id"],
                ), name
                assert self.secret_value(name) != self.initial[name]
            # Exactly one secret left: the one status names and the Secret holds.
            assert [s["uuid"] for s in adobe] == [status["currentSecretUuid"]], (name, adobe)
            assert adobe[0]["value_sha256"] == sha256(self.secret_value(name)), name
        requests = self.sim.state()["requests"]
        succeeded = {
            endpoint: sum(n for code, n in requests[endpoint].items() if code.startswith("2"))
            for endpoint in ("add", "delete")
        }
        assert succeeded == {"add": len(ROTATING), "delete": len(ROTATING)}, requests
        pending = self.cluster.core.list_namespaced_secret(
            self.namespace, label_selector="adobe-oauth-operator.dev/pending=true"
        ).items
        assert [p.metadata.name for p in pending] == []

    def delete_credentials(self) -> None:
        """While an operator runs, so it releases its finalizers."""
        self.cluster.custom.delete_collection_namespaced_custom_object(
            GROUP, self.version, self.namespace, PLURAL
        )
        wait_until(
            lambda: (
                not self.cluster.custom.list_namespaced_custom_object(
                    GROUP, self.version, self.namespace, PLURAL
                )["items"]
            ),
            timeout=60,
            what="credentials deleted",
        )

    def values_published(self) -> list[str]:
        """Every secret value of the test: none may reach a log."""
        return [*self.initial.values(), *(self.secret_value(n) for n in HOLDS)]


def _rollout_hold_label(namespace: str) -> str:
    """The node label that keeps the rollout credential's new pods of `namespace` off a node."""
    return f"hold.upgrade.test/{namespace}"


def _avoiding(label: str) -> dict[str, Any]:
    """Pod affinity: only nodes without `label` (checked when a pod is scheduled only)."""
    term = {"matchExpressions": [{"key": label, "operator": "DoesNotExist"}]}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
    }


def operator_values(namespace: str) -> dict[str, Any]:
    """The chart's resync (2 h): 899734a tries a failing call again at every look, not after its
    backoff, so a short resync would run its retry record up to the 5-minute cap within a
    minute, which the new operator then honours (each step is driven by its own requeue)."""
    return {"watchNamespaces": [namespace], "verbose": True}


@pytest.fixture
def crd_of_old_release(
    cluster: LocalCluster, crd_installed: object, releases: tuple[Release, Release]
) -> Iterator[Release]:
    """The cluster as the previous release left it: its CRD. Afterwards crds/ again, exactly."""
    old, _ = releases
    try:
        # The session's CRD has stored v1beta1, which the old CRD lacks: start over with it.
        recreate_crd(cluster, old.crd)
        yield old
    finally:
        apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)


def _adopt_crd_into(cluster: LocalCluster, release: str, namespace: str) -> None:
    """What a user moving the CRD under a Helm release does: Helm's ownership metadata."""
    client.ApiextensionsV1Api(cluster.api).patch_custom_resource_definition(
        "adobeoauthcredentials.adobe-oauth-operator.dev",
        {
            "metadata": {
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "annotations": {
                    "meta.helm.sh/release-name": release,
                    "meta.helm.sh/release-namespace": namespace,
                },
            }
        },
    )


def _assert_no_value_logged(kubelet: Kubelet, world: Scenario) -> None:
    logs = kubelet.logs()
    for value in world.values_published():
        assert value not in logs, "a secret value reached the operator's log"


def _upgrade_mid_rotation(
    world: Scenario,
    kubelet: Kubelet,
    old: Release,
    new: Release,
    install: Callable[[], object],
    upgrade: Callable[[], object],
    replicas: int,
) -> None:
    """Install the old release, hold a rotation at each step, upgrade, release, check. With
    more than one replica (kopf peering, a rolling update) old and new processes run at once."""
    phases: dict[str, float] = {}
    started = time.monotonic()

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    install()
    with kubelet:
        kubelet.wait_running(old.image.name, replicas, timeout=120)
        phase("install")
        watches = world.watches()
        with contextlib.ExitStack() as stack:
            for watch in watches:
                stack.enter_context(watch)
            stack.callback(world.release)
            world.hold_everything()
            phase("hold")
            upgrade()
            # The old process has exited: whatever moves now, the new operator moved.
            kubelet.wait_running(new.image.name, replicas, timeout=120)
            phase("upgrade")
            world.version = VERSION  # the new CRD serves it; the stored resources stay as they are
            world.assert_still_held()
            next_attempts = world.next_attempts()
            world.release()
            world.wait_done(next_attempts)
            phase("finish")
        world.assert_nothing_lost()
        assert [w.violations for w in watches] == [[]] * len(watches)
        assert all(w.checks > 0 for w in watches)
        world.delete_credentials()
        _assert_no_value_logged(kubelet, world)
        overlapped = kubelet.overlapped(old.image.name, new.image.name)
        print(
            f"\nphases (s): {phases}; next attempts at release (s): {next_attempts}; "
            f"old and new operator processes overlapped: {overlapped}"
        )
        if replicas > 1:  # maxSurge 1, maxUnavailable 0: a new pod is Ready before an old goes
            assert overlapped


def _kubelet(
    cluster: LocalCluster, namespace: str, old: Release, new: Release, sim_url: str, workdir: Path
) -> Kubelet:
    images = {r.image.name: (r.image, r.rootfs) for r in (old, new)}
    return Kubelet(cluster, namespace, OPERATOR_PODS, images, sim_url, workdir)


def test_helm_upgrade_mid_rotation_loses_nothing(
    cluster: LocalCluster,
    namespace: str,
    crd_of_old_release: Release,
    releases: tuple[Release, Release],
    tmp_path: Path,
) -> None:
    old, new = releases
    with fresh_namespace(cluster, prefix="aoo") as operator_ns:
        release = f"up-{operator_ns}"
        helm = Helm(tmp_path / "helm", cluster.kubeconfig)
        world = Scenario.create(cluster, namespace, tmp_path, old.served_version)
        _adopt_crd_into(cluster, release, operator_ns)
        # Two peered replicas: the rolling update runs old and new processes at once.
        values = operator_values(namespace) | {"crds": {"enabled": True}, "replicaCount": 2}
        try:
            _upgrade_mid_rotation(
                world,
                _kubelet(cluster, operator_ns, old, new, world.sim.url, tmp_path),
                old,
                new,
                lambda: check(
                    helm.install(release, operator_ns, values | old.values, chart=old.chart)
                ),
                lambda: check(helm.upgrade(release, operator_ns, values | new.values)),
                replicas=2,
            )
            history = json.loads(
                check(helm.run("history", release, "-n", operator_ns, "-o", "json"))
            )
            assert [h["status"] for h in history] == ["superseded", "deployed"]
        finally:
            world.sim.stop()
            helm.uninstall(release, operator_ns)


# -- Argo CD ---------------------------------------------------------------------------------------
ARGOCD_DOC = REPO / "docs" / "argocd.md"


def doc_operator_app() -> dict[str, Any]:
    """docs/argocd.md's Application for the chart: what users copy is what the test runs."""
    blocks = re.findall(r"```yaml\n(.*?)```", ARGOCD_DOC.read_text(), flags=re.DOTALL)
    [app] = [
        b
        for b in map(yaml.safe_load, blocks)
        if b.get("kind") == "Application" and b["spec"]["source"].get("helm")
    ]
    return dict(app["spec"])


def _commit_chart(repo: GitRepo, release: Release, version: str, message: str) -> str:
    """The release's chart at chart/ with its image as the default and this chart version."""
    target = repo.path / "chart"
    if target.exists():
        shutil.rmtree(target)
    repo.copy_tree(release.chart, "chart")
    values = yaml.safe_load((target / "values.yaml").read_text())
    values["image"] |= release.values["image"]
    (target / "values.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
    chart = yaml.safe_load((target / "Chart.yaml").read_text())
    chart["version"] = version
    (target / "Chart.yaml").write_text(yaml.safe_dump(chart, sort_keys=False))
    return repo.commit(message)


@pytest.fixture
def argocd(cluster: LocalCluster) -> Iterator[ArgoCD]:
    argocd_namespace, started = start_argocd()
    try:
        yield ArgoCD(cluster, argocd_namespace)
    finally:
        if started:  # the rest of the session does not pay for an idle Argo CD
            stop_argocd()


def test_argocd_upgrade_mid_rotation_loses_nothing(
    cluster: LocalCluster,
    namespace: str,
    crd_of_old_release: Release,
    releases: tuple[Release, Release],
    argocd: ArgoCD,
    tmp_path: Path,
) -> None:
    """The chart's Application as docs/argocd.md gives it; the upgrade is a commit that replaces
    the chart with the new one, its version bumped and its default image the new one."""
    old, new = releases
    with fresh_namespace(cluster, prefix="aoo") as operator_ns:
        world = Scenario.create(cluster, namespace, tmp_path, old.served_version)
        repo = GitRepo(tmp_path / "repo")
        spec = doc_operator_app()
        app = f"operator-{operator_ns}"
        old_version = str(yaml.safe_load((old.chart / "Chart.yaml").read_text())["version"])
        major, minor, patch = (int(n) for n in old_version.split("."))
        revisions: list[str] = []

        def install() -> None:
            revisions.append(_commit_chart(repo, old, old_version, f"chart of {OLD_COMMIT}"))
            values = dict(spec["source"]["helm"]["valuesObject"])
            values.pop("image", None)  # the chart's default: what the commit bumps
            values |= operator_values(namespace) | {"replicaCount": 1}
            helm = {"releaseName": spec["source"]["helm"]["releaseName"], "valuesObject": values}
            argocd.create_app(
                app,
                repo,
                "chart",
                operator_ns,
                sync_options=spec["syncPolicy"]["syncOptions"],
                helm=helm,
            )
            argocd.wait(app, revision=revisions[0], timeout=180)

        def upgrade() -> None:
            bumped = f"{major}.{minor}.{patch + 1}"
            revisions.append(_commit_chart(repo, new, bumped, f"chart {bumped}"))
            argocd.refresh(app)
            argocd.wait(app, revision=revisions[1], timeout=180)

        try:
            _upgrade_mid_rotation(
                world,
                _kubelet(cluster, operator_ns, old, new, world.sim.url, tmp_path),
                old,
                new,
                install,
                upgrade,
                replicas=1,  # Recreate: the old pod goes before the new one starts
            )
            deployment = cluster.apps.list_namespaced_deployment(operator_ns).items[0]
            assert deployment.metadata.labels["helm.sh/chart"].endswith(f".{patch + 1}")
        finally:
            world.sim.stop()
            _delete_app_with_resources(cluster, argocd, app)


def _delete_app_with_resources(cluster: LocalCluster, argocd: ArgoCD, app: str) -> None:
    """The Application and what it synced (the CRD stays: helm.sh/resource-policy keep)."""
    try:
        cluster.custom.patch_namespaced_custom_object(
            "argoproj.io",
            "v1alpha1",
            argocd.namespace,
            "applications",
            app,
            {"metadata": {"finalizers": ["resources-finalizer.argocd.argoproj.io/background"]}},
        )
        argocd.delete_app(app)
    except ApiException as exc:
        if exc.status != 404:
            raise

    def gone() -> bool:
        try:
            argocd.app(app)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    wait_until(gone, timeout=120, what=f"Application {app} and its resources deleted")
