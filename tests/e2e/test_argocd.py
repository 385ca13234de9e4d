"""Argo CD itself (application controller and repo server, v3.6) deploying the chart and owning
credentials, Secrets and workloads, with what docs/argocd.md tells users to configure.

One Argo CD, one git repository, one simulator and one operator serve the whole module: the
operator is installed by an Application from the chart and runs as the process the chart's
Deployment describes (pods run no containers here). Argo CD resyncs every 10 s and self-heals at
once (hack/local-cluster), so each wait below is bounded by a few of its cycles.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import GROUP, PLURAL, ROTATION_ID_ANNOTATION, VERSION
from support import workloads
from support.argocd import ArgoCD, GitRepo, start_argocd, stop_argocd
from support.chart import CHART, service_account_kubeconfig
from support.chart_operator import ChartOperatorProcess
from support.cluster import REPO, LocalCluster
from support.crds import apply_crd
from support.operator_env import FAST_ROTATION, condition
from support.processes import SimProcess, sha256
from support.waiting import wait_until

ARGOCD_DOC = REPO / "docs" / "argocd.md"
CRD_NAME = "adobeoauthcredentials.adobe-oauth-operator.dev"
CRD_FILE = REPO / "crds" / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
ORG = "1234567"
# One Adobe credential per scenario, all served by the same operator.
CREDENTIALS = {
    "gitops": "7000001",
    "owned": "7000002",
    "pruned-background": "7000003",
    "pruned-foreground": "7000004",
    "cred-ssa": "7000005",
    "cred-replace": "7000006",
    "pruned-mid-add": "7000007",
}
# Every sync option docs/argocd.md mentions for workloads, with and without its ignoreDifferences.
SYNC_VARIANTS: dict[str, tuple[list[str], bool]] = {
    "csa": ([], False),
    "csa-ignore": ([], True),
    "ssa": (["ServerSideApply=true"], False),
    "ssa-ignore": (["ServerSideApply=true"], True),
    "replace": (["Replace=true"], False),
    "replace-ignore": (["Replace=true"], True),
}
# Whether a sync for another reason keeps the operator's pod-template annotation (observed with
# Argo CD v3.6.2; docs/argocd.md says the same).
KEPT_BY_A_SYNC = {
    "csa": True,
    "csa-ignore": True,
    "ssa": True,
    "ssa-ignore": True,
    "replace": False,
    "replace-ignore": False,
}


def doc_yaml_blocks() -> list[Any]:
    """The ```yaml blocks of docs/argocd.md, parsed: what users copy is what the tests run."""
    blocks = re.findall(r"```yaml\n(.*?)```", ARGOCD_DOC.read_text(), flags=re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def doc_argocd_cm() -> dict[str, str]:
    [cm] = [b for b in doc_yaml_blocks() if b.get("kind") == "ConfigMap"]
    return dict(cm["data"])


def doc_operator_app() -> dict[str, Any]:
    [app] = [
        b
        for b in doc_yaml_blocks()
        if b.get("kind") == "Application" and b["spec"]["source"].get("helm")
    ]
    return dict(app["spec"])


def doc_credentials_app() -> dict[str, Any]:
    """The Application the doc gives for a team's credentials (and maybe their Secret)."""
    [app] = [
        b
        for b in doc_yaml_blocks()
        if b.get("kind") == "Application"
        and "SkipDryRunOnMissingResource=true" in b["spec"]["syncPolicy"].get("syncOptions", [])
        and not b["spec"]["source"].get("helm")
    ]
    return dict(app["spec"])


def doc_workload_rules() -> tuple[list[dict[str, Any]], list[str]]:
    """The workloads Application's ignoreDifferences and sync options."""
    [app] = [
        b
        for b in doc_yaml_blocks()
        if b.get("kind") == "Application"
        and any(r.get("jqPathExpressions") for r in b["spec"].get("ignoreDifferences", []))
    ]
    return list(app["spec"]["ignoreDifferences"]), list(app["spec"]["syncPolicy"]["syncOptions"])


def doc_secret_rules(secret_name: str) -> list[dict[str, Any]]:
    """The ignoreDifferences the doc gives for an application Secret owned by Argo CD."""
    [block] = [
        b
        for b in doc_yaml_blocks()
        if isinstance(b.get("ignoreDifferences"), list)
        and b["ignoreDifferences"][0].get("kind") == "Secret"
    ]
    rules = [dict(r) for r in block["ignoreDifferences"]]
    for rule in rules:
        rule["name"] = secret_name
    return rules


def credential(name: str, secret_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AdobeOAuthCredential",
        "metadata": {"name": name},
        "spec": {
            "orgId": ORG,
            "credentialId": CREDENTIALS[name],
            "secretName": secret_name,
            "rotation": dict(FAST_ROTATION),
            "rollout": {"timeout": "60s"},
            **spec,
        },
    }


def app_secret(name: str, client_id: str, value: str) -> dict[str, Any]:
    """The Secret under `data`: Argo CD's ignoreDifferences cannot keep a `stringData` key out of
    the Secret (the API server merges stringData over data)."""
    b64 = {
        k: base64.b64encode(v.encode()).decode()
        for k, v in (("ADOBE_CLIENT_ID", client_id), ("ADOBE_CLIENT_SECRET", value))
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "data": b64,
    }


@dataclass
class GitOps:
    """The module's shared world: Argo CD, its git repository, the simulator and the operator."""

    cluster: LocalCluster
    argocd: ArgoCD
    repo: GitRepo
    namespace: str  # where credentials, Secrets and workloads live
    operator_namespace: str
    sim: SimProcess
    client_ids: dict[str, str]
    initial: dict[str, str]
    workdir: Path
    operator: ChartOperatorProcess | None = None
    crd_was_missing: bool = False
    apps: list[str] = field(default_factory=list)

    # -- credentials ---------------------------------------------------------------------------
    def status(self, name: str) -> dict[str, Any]:
        """The credential's status; empty while it does not exist (yet)."""
        try:
            obj = self.cluster.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name
            )
        except ApiException as exc:
            if exc.status == 404:
                return {}
            raise
        return dict(obj.get("status") or {})

    def secret_value(self, secret_name: str) -> str:
        secret = self.cluster.core.read_namespaced_secret(secret_name, self.namespace)
        return base64.b64decode(secret.data["ADOBE_CLIENT_SECRET"]).decode()

    def adobe_secrets(self, name: str) -> list[dict[str, Any]]:
        return self.sim.secrets(CREDENTIALS[name])

    def events(self, name: str, reason: str) -> list[Any]:
        items = self.cluster.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        return [e for e in items if e.reason == reason]

    def events_summary(self, name: str) -> list[tuple[str, str]]:
        items = self.cluster.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        return [(e.reason, e.message) for e in items]

    def wait_status(self, name: str, what: str, check: Any, timeout: float = 90) -> dict[str, Any]:
        return wait_until(
            lambda: (s := self.status(name)) and check(s) and s,
            timeout=timeout,
            what=f"{name}: {what}",
            interval=0.3,
        )

    def commit_and_refresh(self, message: str, *apps: str) -> str:
        revision = self.repo.commit(message)
        for app in apps:
            self.argocd.refresh(app)
        return revision

    def create_app(self, name: str, path: str, **kw: Any) -> None:
        self.argocd.create_app(name, self.repo, path, self.namespace, **kw)
        self.apps.append(name)


@pytest.fixture(scope="module")
def gitops(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitOps]:
    workdir = tmp_path_factory.mktemp("argocd")
    argocd_namespace, started = start_argocd()
    argocd = ArgoCD(cluster, argocd_namespace)
    argocd.set_settings(doc_argocd_cm())  # the health check, exactly as the doc shows it
    suffix = secrets.token_hex(3)
    namespace, operator_namespace = f"gitops-{suffix}", f"aoo-{suffix}"
    cluster.core.create_namespace({"metadata": {"name": namespace}})
    client_ids = {name: secrets.token_hex(16) for name in CREDENTIALS}
    initial = {name: f"p8e-{secrets.token_urlsafe(24)}" for name in CREDENTIALS}
    sim = SimProcess(
        workdir,
        [
            {
                "org_id": ORG,
                "credential_id": credential_id,
                "client_id": client_ids[name],
                "secrets": [initial[name]],
                "age_s": 7200,
            }
            for name, credential_id in CREDENTIALS.items()
        ],
    )
    repo = GitRepo(workdir / "repo")
    repo.copy_tree(CHART, "chart")
    repo.commit("the operator's chart")
    world = GitOps(
        cluster, argocd, repo, namespace, operator_namespace, sim, client_ids, initial, workdir
    )
    try:
        yield world
    finally:
        try:
            _tear_down(world)
        finally:
            if started:  # the rest of the session does not pay for an idle Argo CD
                stop_argocd()


def _tear_down(world: GitOps) -> None:
    cluster = world.cluster
    for app in world.apps:
        world.argocd.delete_app(app)
    # The operator releases its finalizers before it stops.
    args = (GROUP, VERSION, world.namespace, PLURAL)
    if world.operator is not None:
        cluster.custom.delete_collection_namespaced_custom_object(*args)
        wait_until(
            lambda: not cluster.custom.list_namespaced_custom_object(*args)["items"],
            timeout=60,
            what="credentials deleted",
        )
        world.operator.stop()
    world.sim.stop()
    for ns in (world.namespace, world.operator_namespace):
        try:
            cluster.core.delete_namespace(ns)
        except ApiException as exc:
            if exc.status != 404:
                raise
    # The CRD back to exactly crds/ (Argo CD's labels, annotations and field owners gone), as the
    # rest of the session expects it.
    apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=True)
    if world.operator is not None:
        logs = world.operator.logs()
        for value in world.initial.values():
            assert value not in logs, "a secret value reached the operator's log"


def crd_exists(cluster: LocalCluster) -> bool:
    try:
        client.ApiextensionsV1Api(cluster.api).read_custom_resource_definition(CRD_NAME)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


@pytest.fixture(scope="module")
def installed(gitops: GitOps) -> GitOps:
    """The chart and a credential, each synced by its own Application, created at the same time.

    The chart's Application is docs/argocd.md's, pointed at the local repository; the credential's
    Application carries SkipDryRunOnMissingResource=true and a retry, as the doc says, so it
    succeeds once the chart's Application has created the CRD.
    """
    cluster, repo = gitops.cluster, gitops.repo
    gitops.crd_was_missing = not crd_exists(cluster)
    # The application Secret is made once outside git (here: by the test, as a secret store
    # would); git holds a placeholder that the documented ignoreDifferences keeps out of it.
    cluster.core.create_namespaced_secret(
        gitops.namespace,
        app_secret("gitops-creds", gitops.client_ids["gitops"], gitops.initial["gitops"]),
    )
    repo.write(
        "credentials/gitops.yaml",
        [
            credential("gitops", "gitops-creds"),
            app_secret("gitops-creds", gitops.client_ids["gitops"], "placeholder"),
        ],
    )
    for variant in SYNC_VARIANTS:
        repo.write(
            f"workloads/{variant}/deployment.yaml",
            [workloads.workload("Deployment", f"web-{variant}", "gitops-creds", replicas=1)],
        )
    revision = repo.commit("a credential, its Secret and the workloads that read it")

    documented = doc_credentials_app()
    rules = [dict(rule, name="gitops-creds") for rule in documented["ignoreDifferences"]]
    assert rules == doc_secret_rules("gitops-creds")
    gitops.create_app(
        "gitops-credentials",
        "credentials",
        sync_options=documented["syncPolicy"]["syncOptions"],
        ignore_differences=rules,
        retry=documented["syncPolicy"]["retry"],
    )
    spec = doc_operator_app()
    values = dict(spec["source"]["helm"]["valuesObject"])
    values |= {"replicaCount": 1, "watchNamespaces": [gitops.namespace], "resyncSeconds": 2}
    helm = {"releaseName": spec["source"]["helm"]["releaseName"], "valuesObject": values}
    gitops.argocd.create_app(
        "operator",
        repo,
        "chart",
        gitops.operator_namespace,
        sync_options=spec["syncPolicy"]["syncOptions"],
        helm=helm,
    )
    gitops.apps.append("operator")
    gitops.argocd.wait("operator", revision=revision, timeout=180)

    # The chart's Deployment, run as a process with its ServiceAccount's identity.
    deployment = cluster.apps.list_namespaced_deployment(gitops.operator_namespace).items[0]
    pod_spec = cluster.api.sanitize_for_serialization(deployment.spec.template.spec)
    kubeconfig = service_account_kubeconfig(
        cluster,
        gitops.operator_namespace,
        pod_spec["serviceAccountName"],
        gitops.workdir / "operator.kubeconfig",
    )
    gitops.operator = ChartOperatorProcess(
        gitops.workdir,
        kubeconfig,
        pod_spec["containers"][0],
        gitops.sim.url,
        pod_id="operator-0",
        pod_namespace=gitops.operator_namespace,
    )
    gitops.argocd.wait("gitops-credentials", revision=revision, timeout=120)
    rules, options = doc_workload_rules()
    for variant, (variant_options, ignore) in SYNC_VARIANTS.items():
        gitops.create_app(
            f"web-{variant}",
            f"workloads/{variant}",
            sync_options=variant_options + (options if ignore else []),
            ignore_differences=rules if ignore else None,
        )
    for variant in SYNC_VARIANTS:
        gitops.argocd.wait(f"web-{variant}", revision=revision, timeout=120)
    return gitops


def test_the_chart_and_a_credential_sync_and_are_healthy(installed: GitOps) -> None:
    argocd = installed.argocd
    operator = argocd.state("operator")
    kinds = {r["kind"] for r in operator.resources}
    assert {"CustomResourceDefinition", "Deployment", "ServiceAccount"} <= kinds
    assert kinds & {"ClusterRole", "Role"}
    assert operator.resource("CustomResourceDefinition", CRD_NAME)["status"] == "Synced"
    # Argo CD v3 keeps resource health out of the Application's status (it is in Redis, for the
    # API server); this Application holds the credential and its Secret, so its health is the
    # health check's verdict on the credential.
    credentials = argocd.state("gitops-credentials")
    assert (credentials.sync, credentials.health) == ("Synced", "Healthy")
    assert credentials.resource("AdobeOAuthCredential", "gitops")["status"] == "Synced"
    status = installed.status("gitops")
    assert status["phase"] == "Ready" and status["currentSecretUuid"]
    if installed.crd_was_missing:
        # The credential's Application ran before the CRD existed and went through on a retry.
        assert credentials.operation_phase == "Succeeded"
    # The placeholder in git never reached the Secret: the documented ignoreDifferences.
    assert installed.secret_value("gitops-creds") == installed.initial["gitops"]


def test_a_rotation_is_progressing_then_healthy_and_leaves_every_application_synced(
    installed: GitOps,
) -> None:
    """A rotation requested by a commit: the credential's health follows it; no Application goes
    OutOfSync and no self-heal undoes the restart, under each sync option of docs/argocd.md."""
    argocd, repo, cluster, ns = (
        installed.argocd,
        installed.repo,
        installed.cluster,
        installed.namespace,
    )
    apps = [f"web-{v}" for v in SYNC_VARIANTS]
    before = {app: argocd.app(app) for app in apps}
    generations = {
        app: cluster.apps.read_namespaced_deployment(app, ns).metadata.generation for app in apps
    }
    history = len(installed.status("gitops").get("history") or [])
    requested = credential("gitops", "gitops-creds")
    requested["metadata"]["annotations"] = {"adobe-oauth-operator.dev/rotate": "first"}
    repo.write(
        "credentials/gitops.yaml",
        [requested, app_secret("gitops-creds", installed.client_ids["gitops"], "placeholder")],
    )
    revision = installed.commit_and_refresh("rotate gitops", "gitops-credentials")

    seen_health: set[str] = set()
    out_of_sync: dict[str, str] = {}

    watched = list(apps)  # the credential's Application joins once it synced the commit

    def rotated() -> dict[str, Any] | None:
        credentials = argocd.state("gitops-credentials")
        seen_health.add(credentials.health)
        synced = credentials.revision == revision and credentials.sync == "Synced"
        if synced and "gitops-credentials" not in watched:
            watched.append("gitops-credentials")
        for app in watched:
            state = argocd.state(app)
            if state.sync == "OutOfSync":
                out_of_sync.setdefault(app, str(state.resources))
        status = installed.status("gitops")
        done = len(status.get("history") or []) > history and not status.get("rotation")
        return status if done else None

    status = wait_until(rotated, timeout=150, what="the rotation done", interval=0.3)
    assert status["history"][0]["result"] == "Succeeded", status["history"][0]
    rotation_id = status["history"][0]["id"]
    assert "Progressing" in seen_health
    argocd.wait("gitops-credentials", revision=revision, timeout=60)

    # Argo CD compares every Application again after the rotation (a refresh each), then:
    finished = time.time()
    for app in apps:
        argocd.refresh(app)
    for app in apps:
        wait_until(
            lambda app=app: _reconciled_after(argocd.app(app), finished),
            timeout=60,
            what=f"{app} compared after the rotation",
            interval=0.5,
        )
    outcome = {}
    for app in apps:
        deployment = cluster.apps.read_namespaced_deployment(app, ns)
        annotations = deployment.spec.template.metadata.annotations or {}
        state = argocd.state(app)
        outcome[app] = {
            "sync": state.sync,
            "annotation": annotations.get(ROTATION_ID_ANNOTATION) == rotation_id,
            "restarts": deployment.metadata.generation - generations[app],
            "synced_again": _operation_started(argocd.app(app)) != _operation_started(before[app]),
        }
    assert not out_of_sync, out_of_sync
    for app, seen in outcome.items():
        assert seen == {
            "sync": "Synced",
            "annotation": True,
            "restarts": 1,
            "synced_again": False,
        }, (
            app,
            seen,
        )
    # Self-heal is on and quick: drift that is not the operator's is put back within seconds.
    cluster.apps.patch_namespaced_deployment("web-csa", ns, {"spec": {"replicas": 3}})
    wait_until(
        lambda: cluster.apps.read_namespaced_deployment("web-csa", ns).spec.replicas == 1,
        timeout=60,
        what="self-heal to put web-csa's replicas back",
    )
    # A sync for another reason (a commit changing each workload's labels) applies the git
    # manifest over the restarted Deployment: which sync options keep the operator's annotation.
    revisions = {app: _template_revision(cluster, ns, app) for app in apps}
    for variant in SYNC_VARIANTS:
        manifest = workloads.workload("Deployment", f"web-{variant}", "gitops-creds", replicas=1)
        manifest["metadata"]["labels"] = {"team": "payments"}
        repo.write(f"workloads/{variant}/deployment.yaml", [manifest])
    revision = installed.commit_and_refresh("label the workloads", *apps)
    kept_after_sync = {}
    for variant in SYNC_VARIANTS:
        app = f"web-{variant}"
        argocd.wait(app, revision=revision, timeout=60)
        deployment = cluster.apps.read_namespaced_deployment(app, ns)
        assert deployment.metadata.labels.get("team") == "payments"
        annotations = deployment.spec.template.metadata.annotations or {}
        kept = annotations.get(ROTATION_ID_ANNOTATION) == rotation_id
        restarted = _template_revision(cluster, ns, app) != revisions[app]
        assert kept != restarted, (app, kept, restarted)  # removing it rolls the pods again
        kept_after_sync[variant] = kept
    assert kept_after_sync == KEPT_BY_A_SYNC
    # The Secret Argo CD owns (placeholder in git, ignored data) holds the new secret.
    [left] = installed.adobe_secrets("gitops")
    assert left["uuid"] == status["currentSecretUuid"]
    assert left["value_sha256"] == sha256(installed.secret_value("gitops-creds"))


def _deletion_started(world: GitOps, name: str, pending: str, policy: str) -> bool:
    """The credential is being deleted; with foreground deletion, its dependents (the pending
    Secret it owns) are gone first, as the garbage collector does before the owner goes."""
    obj = world.cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, world.namespace, PLURAL, name
    )
    if not obj["metadata"].get("deletionTimestamp"):
        return False
    names = {
        s.metadata.name for s in world.cluster.core.list_namespaced_secret(world.namespace).items
    }
    return pending not in names if policy == "foreground" else pending in names


def _template_revision(cluster: LocalCluster, namespace: str, name: str) -> str:
    """The Deployment's pod-template revision once its controller has seen the latest spec."""

    def observed() -> str | None:
        deployment = cluster.apps.read_namespaced_deployment(name, namespace)
        if (deployment.status.observed_generation or 0) < deployment.metadata.generation:
            return None
        return str(deployment.metadata.annotations["deployment.kubernetes.io/revision"])

    return wait_until(observed, timeout=30, what=f"Deployment {name} observed")


def _reconciled_after(app: dict[str, Any], moment: float) -> bool:
    stamp = (app.get("status") or {}).get("reconciledAt")
    if not stamp:
        return False
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() > moment


def _operation_started(app: dict[str, Any]) -> str:
    return str(((app.get("status") or {}).get("operationState") or {}).get("startedAt", ""))


def test_a_placeholder_under_string_data_is_not_kept_out_by_the_rule(installed: GitOps) -> None:
    """Why docs/argocd.md says `data`: the same rule and options with the placeholder under
    `stringData` let Argo CD's sync write the placeholder over the value in the Secret."""
    argocd, repo, cluster = installed.argocd, installed.repo, installed.cluster
    secret_name, app = "string-data-creds", "string-data"
    real = f"p8e-{secrets.token_urlsafe(24)}"
    cluster.core.create_namespaced_secret(
        installed.namespace, app_secret(secret_name, "client-id", real)
    )
    in_git = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name},
        "type": "Opaque",
        "stringData": {"ADOBE_CLIENT_ID": "client-id", "ADOBE_CLIENT_SECRET": "placeholder"},
    }
    repo.write(f"{app}/secret.yaml", [in_git])
    revision = repo.commit("a Secret with a placeholder under stringData")
    documented = doc_credentials_app()
    installed.create_app(
        app,
        app,
        sync_options=documented["syncPolicy"]["syncOptions"],
        ignore_differences=[dict(r, name=secret_name) for r in documented["ignoreDifferences"]],
    )
    argocd.wait(app, revision=revision, timeout=120)
    assert installed.secret_value(secret_name) == "placeholder"


def test_a_secret_value_owned_in_git_is_put_back_by_self_heal_and_the_operator_stalls(
    installed: GitOps,
) -> None:
    """Without the documented ignoreDifferences, git owns the Secret's value (here: the current
    secret, as a secret-store plugin would render it) and self-heal writes it back after the
    operator wrote the new one. The operator's revert protection keeps the old secret in Adobe,
    writes the new value back, and after three reverts stops with Stalled/SecretReverted, which
    the health check shows as Degraded."""
    argocd, repo = installed.argocd, installed.repo
    initial = installed.initial["owned"]
    repo.write(
        "owned/credential.yaml",
        [
            credential("owned", "owned-creds", rotation={**FAST_ROTATION, "drainPeriod": "5s"}),
            app_secret("owned-creds", installed.client_ids["owned"], initial),
        ],
    )
    revision = repo.commit("a credential whose Secret value git owns")
    installed.create_app("owned", "owned")
    argocd.wait("owned", revision=revision, timeout=120)
    installed.wait_status("owned", "adopted", lambda s: s.get("phase") == "Ready")

    installed.cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        installed.namespace,
        PLURAL,
        "owned",
        {"metadata": {"annotations": {"adobe-oauth-operator.dev/rotate": "now"}}},
    )
    status = installed.wait_status(
        "owned", "Stalled", lambda s: s.get("phase") == "Stalled", timeout=180
    )
    stalled = condition(status, "Stalled")
    assert stalled["reason"] == "SecretReverted", stalled
    reverted = installed.events("owned", "SecretReverted")
    assert reverted and all(e.type == "Warning" for e in reverted)
    # Nothing was lost: both secrets are still in Adobe.
    assert len(installed.adobe_secrets("owned")) == 2
    assert sha256(initial) in {s["value_sha256"] for s in installed.adobe_secrets("owned")}
    argocd.wait("owned", sync="Synced", health="Degraded", timeout=60)


@pytest.mark.parametrize("option", ["ServerSideApply=true", "Replace=true"])
def test_a_credential_and_its_secret_under_another_sync_option(
    installed: GitOps, option: str
) -> None:
    """The credentials Application of the doc with server-side apply: a rotation requested by a
    commit leaves it Synced, and a later sync (a commit changing the credential's labels) keeps
    the operator's finalizer and the Secret's new value. With Replace=true it is OutOfSync as
    soon as the operator adopted the credential."""
    argocd, repo, cluster = installed.argocd, installed.repo, installed.cluster
    variant = "ssa" if option.startswith("ServerSide") else "replace"
    name = app = f"cred-{variant}"
    secret_name = f"{name}-creds"
    client_id = installed.client_ids[name]
    cluster.core.create_namespaced_secret(
        installed.namespace, app_secret(secret_name, client_id, installed.initial[name])
    )
    documented = doc_credentials_app()

    def write(annotations: dict[str, str], labels: dict[str, str]) -> None:
        resource = credential(name, secret_name)
        resource["metadata"] |= {"annotations": annotations, "labels": labels}
        repo.write(f"{app}/credential.yaml", [resource, app_secret(secret_name, client_id, "x")])

    write({}, {})
    revision = repo.commit(f"{name}: a credential synced with {option}")
    installed.create_app(
        app,
        app,
        sync_options=[*documented["syncPolicy"]["syncOptions"], option],
        ignore_differences=[dict(r, name=secret_name) for r in documented["ignoreDifferences"]],
    )
    installed.wait_status(name, "adopted", lambda s: s.get("phase") == "Ready")
    if variant == "replace":
        # Without a last-applied configuration, what the operator (and kopf) add to the
        # credential's metadata is a difference: the Application goes OutOfSync on the
        # credential as soon as it is adopted, and stays so. Replace=true is not for credentials.
        argocd.wait(app, sync="OutOfSync", health="Healthy", revision=revision)
        # The sync's own record may come a moment after the comparison: wait for it too.
        state = wait_until(
            lambda: (s := argocd.state(app)).operation_phase == "Succeeded" and s,
            timeout=60,
            what=f"{app}'s sync operation recorded as Succeeded",
        )
        assert (state.sync, state.health, state.revision) == ("OutOfSync", "Healthy", revision)
        assert state.resource("AdobeOAuthCredential", name)["status"] == "OutOfSync"
        assert state.resource("Secret", secret_name)["status"] == "Synced"
        return
    argocd.wait(app, revision=revision, timeout=120)

    write({"adobe-oauth-operator.dev/rotate": "first"}, {})
    revision = installed.commit_and_refresh(f"{name}: rotate", app)
    out_of_sync: list[str] = []
    synced_commit = []  # watched once the Application has synced the commit

    def rotated() -> dict[str, Any] | None:
        state = argocd.state(app)
        if state.revision == revision and state.sync == "Synced":
            synced_commit.append(True)
        if synced_commit and state.sync == "OutOfSync":
            out_of_sync.append(str(state.resources))
        status = installed.status(name)
        return status if status.get("history") and not status.get("rotation") else None

    status = wait_until(rotated, timeout=120, what=f"{name} rotated", interval=0.3)
    assert status["history"][0]["result"] == "Succeeded"
    argocd.wait(app, revision=revision, timeout=60)

    write({"adobe-oauth-operator.dev/rotate": "first"}, {"team": "payments"})
    revision = installed.commit_and_refresh(f"{name}: label it", app)
    argocd.wait(app, revision=revision, timeout=60)
    obj = cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, installed.namespace, PLURAL, name
    )
    assert obj["metadata"]["labels"] == {"team": "payments"}
    assert "adobe-oauth-operator.dev/finalizer" in obj["metadata"].get("finalizers", [])
    [current] = installed.adobe_secrets(name)
    assert current["uuid"] == installed.status(name)["currentSecretUuid"]
    assert current["value_sha256"] == sha256(installed.secret_value(secret_name))
    assert not out_of_sync, out_of_sync


@pytest.mark.parametrize(
    "policy",
    # foreground, Argo CD's default: the garbage collector may delete the pending Secret (owned
    # by the credential) before the finalizer runs; the cleanup then asks Adobe which secret the
    # Secret holds instead of taking the new one for lost (it deleted it, once).
    ["background", "foreground"],
)
def test_pruning_a_credential_mid_rotation_runs_its_cleanup_and_the_sync_finishes(
    installed: GitOps, policy: str
) -> None:
    """Removing a credential from git with prune on, while its rotation drains: Argo CD deletes
    it, the operator's finalizer cleans up and is released, and the Application ends Synced.
    The Secret keeps the new secret and Adobe still has it; the old one stays (something may
    still use it), named in a Warning; nothing else is left, no pending Secret."""
    argocd, repo, cluster = installed.argocd, installed.repo, installed.cluster
    name = app = f"pruned-{policy}"
    secret_name = f"{name}-creds"
    cluster.core.create_namespaced_secret(
        installed.namespace,
        app_secret(secret_name, installed.client_ids[name], installed.initial[name]),
    )
    drain = {**FAST_ROTATION, "drainPeriod": "300s", "maxWait": "600s"}
    repo.write(f"{app}/credential.yaml", [credential(name, secret_name, rotation=drain)])
    # The Application keeps something else, as a team's Application does.
    repo.write(
        f"{app}/configmap.yaml",
        [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": app}, "data": {}}],
    )
    revision = repo.commit(f"{name}: a credential that will be removed")
    options = [o for o in doc_credentials_app()["syncPolicy"]["syncOptions"] if "Prune" not in o]
    installed.create_app(app, app, sync_options=[*options, f"PrunePropagationPolicy={policy}"])
    argocd.wait(app, revision=revision, timeout=120)
    installed.wait_status(name, "adopted", lambda s: s.get("phase") == "Ready")
    cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        installed.namespace,
        PLURAL,
        name,
        {"metadata": {"annotations": {"adobe-oauth-operator.dev/rotate": "now"}}},
    )
    status = installed.wait_status(
        name, "draining", lambda s: (s.get("rotation") or {}).get("step") == "Drain"
    )
    old, new = status["rotation"]["oldSecretUuid"], status["rotation"]["newSecretUuid"]

    # The operator is down (an upgrade, a node drain) while Argo CD prunes: its finalizer runs
    # only after the garbage collector has done what the propagation policy asks, every time.
    assert installed.operator is not None
    installed.operator.stop()
    repo.remove(f"{app}/credential.yaml")
    revision = installed.commit_and_refresh(f"{name}: remove the credential", app)
    wait_until(
        lambda: _deletion_started(installed, name, f"{name}-pending", policy),
        timeout=60,
        what=f"Argo CD's {policy} deletion of {name} under way",
        interval=0.3,
    )
    installed.operator.start()
    state = argocd.wait(app, revision=revision, timeout=120)
    assert not [r for r in state.resources if r["kind"] == "AdobeOAuthCredential"]
    with pytest.raises(ApiException) as gone:
        cluster.custom.get_namespaced_custom_object(
            GROUP, VERSION, installed.namespace, PLURAL, name
        )
    assert gone.value.status == 404
    wait_until(
        lambda: (
            installed.events(name, "OldSecretLeftInAdobe") or installed.events(name, "CleanedUp")
        ),
        timeout=30,
        what=f"the cleanup's event (events: {installed.events_summary(name)})",
    )
    assert {s["uuid"] for s in installed.adobe_secrets(name)} == {old, new}, (
        installed.events_summary(name)
    )
    current = next(s for s in installed.adobe_secrets(name) if s["uuid"] == new)
    assert current["value_sha256"] == sha256(installed.secret_value(secret_name))
    [left] = installed.events(name, "OldSecretLeftInAdobe")
    assert left.type == "Warning" and old in left.message
    secrets_left = {
        s.metadata.name for s in cluster.core.list_namespaced_secret(installed.namespace).items
    }
    assert f"{name}-pending" not in secrets_left


def test_pruning_a_credential_whose_new_secret_never_reached_the_secret_deletes_it(
    installed: GitOps,
) -> None:
    """Pruned right after Adobe added the rotation's new secret and before the operator heard
    back (the operator stopped meanwhile): the finalizer deletes that secret, which nothing can
    be using, so Adobe is left with exactly what it had before; the Application ends Synced."""
    argocd, repo, cluster = installed.argocd, installed.repo, installed.cluster
    name = app = "pruned-mid-add"
    secret_name = f"{name}-creds"
    cluster.core.create_namespaced_secret(
        installed.namespace,
        app_secret(secret_name, installed.client_ids[name], installed.initial[name]),
    )
    repo.write(f"{app}/credential.yaml", [credential(name, secret_name)])
    repo.write(
        f"{app}/configmap.yaml",
        [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": app}, "data": {}}],
    )
    revision = repo.commit(f"{name}: a credential that will be removed")
    installed.create_app(app, app, sync_options=doc_credentials_app()["syncPolicy"]["syncOptions"])
    argocd.wait(app, revision=revision, timeout=120)
    status = installed.wait_status(name, "adopted", lambda s: s.get("phase") == "Ready")
    before = {s["uuid"] for s in installed.adobe_secrets(name)}
    assert before == {status["currentSecretUuid"]}

    # Adobe adds the secret at once but answers only 15 s later; the operator stops meanwhile.
    installed.sim.fault(endpoint="add", delay_s=15, after_commit=True)
    cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        installed.namespace,
        PLURAL,
        name,
        {"metadata": {"annotations": {"adobe-oauth-operator.dev/rotate": "now"}}},
    )
    wait_until(lambda: len(installed.adobe_secrets(name)) == 2, timeout=60, what="the add in Adobe")
    [added] = {s["uuid"] for s in installed.adobe_secrets(name)} - before
    assert installed.operator is not None
    installed.operator.stop()
    repo.remove(f"{app}/credential.yaml")
    revision = installed.commit_and_refresh(f"{name}: remove the credential", app)
    wait_until(
        lambda: cluster.custom.get_namespaced_custom_object(
            GROUP, VERSION, installed.namespace, PLURAL, name
        )["metadata"].get("deletionTimestamp"),
        timeout=60,
        what=f"Argo CD's deletion of {name} under way",
    )
    installed.operator.start()
    argocd.wait(app, revision=revision, timeout=120)
    [cleaned] = wait_until(
        lambda: installed.events(name, "CleanedUp"),
        timeout=30,
        what=f"the cleanup's event (events: {installed.events_summary(name)})",
    )
    assert added in cleaned.message and "it had added" in cleaned.message, cleaned.message
    assert {s["uuid"] for s in installed.adobe_secrets(name)} == before
    assert installed.secret_value(secret_name) == installed.initial[name]


def test_deleting_the_operators_application_keeps_the_crd(installed: GitOps) -> None:
    """Deleting the chart's Application with its resources (the background resources finalizer)
    removes what the chart made except the CRD: Argo CD honours `helm.sh/resource-policy: keep`,
    so no credential in the cluster goes with it. Runs last: the operator goes away."""
    cluster, argocd = installed.cluster, installed.argocd
    args = (GROUP, VERSION, installed.namespace, PLURAL)
    # The credentials go first, while the operator runs to release their finalizers.
    for app in [a for a in installed.apps if a != "operator"]:
        argocd.delete_app(app)
    installed.apps[:] = ["operator"]
    cluster.custom.delete_collection_namespaced_custom_object(*args)
    wait_until(
        lambda: not cluster.custom.list_namespaced_custom_object(*args)["items"],
        timeout=60,
        what="credentials deleted",
    )
    rbac = client.RbacAuthorizationV1Api(cluster.api)
    release = {"app.kubernetes.io/instance": "adobe-oauth-operator"}
    selector = ",".join(f"{k}={v}" for k, v in release.items())
    assert rbac.list_cluster_role(label_selector=selector).items
    cluster.custom.patch_namespaced_custom_object(
        "argoproj.io",
        "v1alpha1",
        argocd.namespace,
        "applications",
        "operator",
        {"metadata": {"finalizers": ["resources-finalizer.argocd.argoproj.io/background"]}},
    )
    argocd.delete_app("operator")
    installed.apps.clear()
    try:
        wait_until(
            lambda: (
                not [
                    a
                    for a in cluster.custom.list_namespaced_custom_object(
                        "argoproj.io", "v1alpha1", argocd.namespace, "applications"
                    )["items"]
                    if a["metadata"]["name"] == "operator"
                ]
            ),
            timeout=90,
            what="the operator's Application and its resources deleted",
        )
        wait_until(
            lambda: (
                not cluster.apps.list_namespaced_deployment(installed.operator_namespace).items
                and not rbac.list_cluster_role(label_selector=selector).items
            ),
            timeout=60,
            what="the chart's Deployment and ClusterRoles deleted",
        )
        crd = client.ApiextensionsV1Api(cluster.api).read_custom_resource_definition(CRD_NAME)
        assert crd.metadata.deletion_timestamp is None
    finally:
        if not crd_exists(cluster):  # the rest of the session needs it
            apply_crd(cluster, yaml.safe_load(CRD_FILE.read_text()), replace=False)
