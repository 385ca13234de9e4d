"""The chart's ValidatingAdmissionPolicies on the real API server, with impersonated users.

Creator rights: whoever creates or changes an AdobeOAuthCredential must be able to get and update
the Secret it names, patch each target it adds and create Secrets when it vends a token. Operator
writes: acting as the operator's ServiceAccount, only what a rotation writes is admitted.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from adobe_oauth_operator.names import (
    API_VERSION,
    FINALIZER,
    GROUP,
    KIND,
    PLURAL,
    ROTATE_ANNOTATION,
    ROTATION_ID_ANNOTATION,
    SECRET_UUID_ANNOTATION,
    VERSION,
)
from support import workloads
from support.admission_cases import BASE_SPEC
from support.admission_policies import (
    Policies,
    grant,
    impersonating,
    installed_policies,
    refusal,
    render_policies,
    user,
    wait_enforced,
)
from support.cluster import LocalCluster
from support.waiting import wait_until

AUTHOR, EDITOR = "alice", "bob"
TARGETS = [
    {"kind": "Deployment", "name": "web"},
    {"kind": "StatefulSet", "name": "db"},
    {"kind": "DaemonSet", "name": "agent"},
    {"kind": "Rollout", "name": "canary"},
]
WORKLOAD_RESOURCE = {
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "Rollout": ("argoproj.io", "rollouts"),
}
AOC_RULE = {
    "apiGroups": [GROUP],
    "resources": [PLURAL],
    "verbs": ["get", "create", "update", "patch"],
}
SECRET_VALUE = "p8e-NeverInAnyMessage0123456789abcdef"


@pytest.fixture
def policies(
    cluster: LocalCluster, namespace: str, crd_installed: object, tmp_path: Path
) -> Iterator[Policies]:
    """The chart's policies for a release serving `namespace`, whose operator runs there too."""
    rendered = render_policies(
        tmp_path, f"vap-{namespace}", namespace, {"watchNamespaces": [namespace]}
    )
    with installed_policies(cluster, rendered) as installed:
        yield installed


def credential(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {**BASE_SPEC, **spec},
    }


def secret_rule(verbs: list[str], *names: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": [""], "resources": ["secrets"], "verbs": verbs}
    if names:
        rule["resourceNames"] = list(names)
    return rule


class Author:
    """A user who may create and change AdobeOAuthCredentials in the namespace, nothing more yet."""

    def __init__(self, cluster: LocalCluster, namespace: str, name: str) -> None:
        self.cluster, self.namespace, self.name = cluster, namespace, name
        self.api = impersonating(cluster, name)
        self.custom = client.CustomObjectsApi(self.api)
        self._grants = 0
        self.grant([AOC_RULE])

    def grant(self, rules: list[Any]) -> None:
        self._grants += 1
        grant(self.cluster, self.namespace, f"{self.name}-{self._grants}", user(self.name), rules)

    def create(self, body: dict[str, Any], dry_run: bool = True) -> Any:
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, body, dry_run="All" if dry_run else None
        )

    def patch(self, name: str, patch: dict[str, Any]) -> Any:
        return self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, patch
        )

    def refused(self, body: dict[str, Any]) -> str | None:
        """The API server's answer when creating `body` (dry run) is refused, None when admitted."""
        try:
            self.create(body)
        except ApiException as exc:
            if exc.status != 403:
                raise
            return str(exc.body)
        return None

    def admitted(self, body: dict[str, Any]) -> bool:
        return self.refused(body) is None


@pytest.fixture
def author(cluster: LocalCluster, namespace: str, policies: Policies) -> Iterator[Author]:
    person = Author(cluster, namespace, AUTHOR)
    wait_enforced(  # RBAC first (its 403 says "cannot"), then the policy
        lambda: "ValidatingAdmissionPolicy" in (person.refused(credential("probe")) or ""),
        "the creator-rights policy to refuse",
    )
    yield person
    person.api.close()


def eventually_refused_with(author: Author, body: dict[str, Any], text: str) -> str:
    """RBAC changes reach the authorizer within moments: wait for the expected refusal."""
    message = wait_until(
        lambda: (lambda m: m if m and text in m else None)(author.refused(body)),
        timeout=15,
        what=f"refusal saying {text!r}",
    )
    assert "ValidatingAdmissionPolicy" in message
    return message


def rbac_allows(call: Any, *args: Any) -> bool:
    """False while a new RoleBinding has not reached the authorizer yet (RBAC's own 403)."""
    try:
        call(*args)
    except ApiException as exc:
        if exc.status == 403 and "ValidatingAdmissionPolicy" not in str(exc.body):
            return False
        raise
    return True


def eventually_admitted(author: Author, body: dict[str, Any]) -> None:
    wait_until(lambda: author.admitted(body), timeout=15, what="the request admitted")


# -- creator rights -------------------------------------------------------------------------------
def test_creating_needs_get_and_update_on_the_secret(author: Author) -> None:
    body = credential("payments")
    message = eventually_refused_with(author, body, "may not get Secret adobe-creds")
    assert f"{AUTHOR} may not get Secret adobe-creds in namespace {author.namespace}" in message
    author.grant([secret_rule(["get"], "adobe-creds")])
    eventually_refused_with(author, body, "may not update Secret adobe-creds")
    # Rights on another Secret are not rights on this one.
    author.grant([secret_rule(["update"], "someone-elses")])
    eventually_refused_with(author, body, "may not update Secret adobe-creds")
    author.grant([secret_rule(["update"], "adobe-creds")])
    eventually_admitted(author, body)
    eventually_refused_with(
        author, credential("other", secretName="team-b-creds"), "may not get Secret team-b-creds"
    )


def added(kind: str, names: str) -> str:
    return f"may not patch every {kind} this request adds to spec.rollout.targets ({names})"


def test_each_target_needs_patch_on_it(author: Author) -> None:
    author.grant([secret_rule(["get", "update"], "adobe-creds")])
    body = credential("payments", rollout={"targets": TARGETS})
    for target in TARGETS:
        eventually_refused_with(author, body, added(target["kind"], target["name"]))
        group, resource = WORKLOAD_RESOURCE[target["kind"]]
        rule = {"apiGroups": [group], "resources": [resource], "verbs": ["patch"]}
        author.grant([rule | {"resourceNames": [target["name"]]}])
    eventually_admitted(author, body)
    # Patch on web is not patch on billing.
    other = credential(
        "p2",
        rollout={"targets": [{"kind": "Deployment", "name": n} for n in ("web", "billing")]},
    )
    eventually_refused_with(author, other, added("Deployment", "web, billing"))


def test_a_vended_token_needs_create_on_secrets(author: Author) -> None:
    author.grant([secret_rule(["get", "update"], "adobe-creds")])
    body = credential("payments", accessToken={"secretName": "adobe-token"})
    message = eventually_refused_with(author, body, "may not create Secrets in namespace")
    assert "adobe-token" in message
    author.grant([secret_rule(["create"])])
    eventually_admitted(author, body)


def test_updates_need_rights_only_for_what_they_change(
    cluster: LocalCluster, namespace: str, author: Author
) -> None:
    author.grant(
        [
            secret_rule(["get", "update"], "adobe-creds"),
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]},
        ]
    )
    body = credential("payments", rollout={"targets": [{"kind": "Deployment", "name": "web"}]})
    eventually_admitted(author, body)
    author.create(body, dry_run=False)
    editor = Author(cluster, namespace, EDITOR)  # may change the resource, nothing else
    try:
        # Admitted: a rotate request, kopf's finalizer, schedule changes, an existing target kept.
        rotate = {"metadata": {"annotations": {ROTATE_ANNOTATION: "1"}}}
        wait_until(lambda: rbac_allows(editor.patch, "payments", rotate), timeout=15, what="RBAC")
        editor.patch("payments", {"metadata": {"finalizers": [FINALIZER]}})
        editor.patch("payments", {"spec": {"rotation": {"interval": "1440h"}, "suspend": True}})
        # Refused: another Secret, other keys of it, a new target, a token.
        web, api = ({"kind": "Deployment", "name": n} for n in ("web", "api"))
        changes: list[tuple[dict[str, Any], str]] = [
            ({"secretName": "team-b-creds"}, "may not get Secret team-b-creds"),
            ({"secretKeys": {"clientSecret": "DB_PASSWORD"}}, "may not get Secret adobe-creds"),
            ({"orgId": "7777777"}, "may not get Secret adobe-creds"),
            ({"rollout": {"targets": [web, api]}}, added("Deployment", "api")),
            # A token is made with the client secret: its Secret rights come first.
            ({"accessToken": {"secretName": "adobe-token"}}, "may not get Secret adobe-creds"),
        ]
        for spec, text in changes:
            message = refusal(editor.patch, "payments", {"spec": spec})
            assert text in message, message
            assert f"{EDITOR} may not" in message
        stored = author.custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, "payments"
        )
        assert stored["spec"]["secretName"] == "adobe-creds"
        assert stored["spec"]["rotation"]["interval"] == "1440h"
    finally:
        editor.api.close()
        # No operator runs here to release the finalizer when the namespace goes.
        cluster.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, "payments", {"metadata": {"finalizers": None}}
        )


# -- operator writes ------------------------------------------------------------------------------
class Operator:
    """Calls made as the operator's ServiceAccount, with the chart's namespaced rules."""

    def __init__(self, cluster: LocalCluster, namespace: str, policies: Policies) -> None:
        self.namespace = namespace
        sa_namespace, sa_name = policies.service_account.split(":")[2:]
        subject = {"kind": "ServiceAccount", "name": sa_name, "namespace": sa_namespace}
        rules = [
            {"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get", "patch"]},
            {"apiGroups": [GROUP], "resources": [f"{PLURAL}/status"], "verbs": ["patch"]},
            secret_rule(["get", "create", "update", "patch", "delete"]),
            {
                "apiGroups": ["apps"],
                "resources": ["deployments", "statefulsets", "daemonsets"],
                "verbs": ["get", "patch"],
            },
            {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["get", "patch"]},
        ]
        grant(cluster, namespace, "operator", subject, rules)
        self.api = impersonating(cluster, policies.service_account)
        self.core = client.CoreV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.apps = client.AppsV1Api(self.api)

    def patch_workload(self, kind: str, name: str, patch: dict[str, Any], **kw: Any) -> Any:
        if kind == "Rollout":
            return self.custom.patch_namespaced_custom_object(
                "argoproj.io", "v1alpha1", self.namespace, "rollouts", name, patch, **kw
            )
        call = {
            "Deployment": self.apps.patch_namespaced_deployment,
            "StatefulSet": self.apps.patch_namespaced_stateful_set,
            "DaemonSet": self.apps.patch_namespaced_daemon_set,
        }[kind]
        return call(name, self.namespace, patch, **kw)

    def patch_secret(self, name: str, patch: dict[str, Any]) -> Any:
        return self.core.patch_namespaced_secret(name, self.namespace, patch)


@pytest.fixture
def operator(cluster: LocalCluster, namespace: str, policies: Policies) -> Iterator[Operator]:
    acting = Operator(cluster, namespace, policies)
    workloads.create(cluster, namespace, workloads.workload("Deployment", "probe", "adobe-creds"))
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x:2"}]}}}}

    def image_change_refused() -> bool:
        try:
            acting.patch_workload("Deployment", "probe", image, dry_run="All")
        except ApiException as exc:
            return exc.status == 403 and "ValidatingAdmissionPolicy" in str(exc.body)
        return False

    # RBAC first (403 without the policy's name), then the policy.
    wait_enforced(image_change_refused, "the operator-writes policy to refuse")
    yield acting
    acting.api.close()


def stamp(value: str) -> dict[str, Any]:
    return {"spec": {"template": {"metadata": {"annotations": {ROTATION_ID_ANNOTATION: value}}}}}


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_operator_may_stamp_a_restart_and_nothing_else(
    cluster: LocalCluster, namespace: str, operator: Operator, kind: str
) -> None:
    workloads.create(cluster, namespace, workloads.workload(kind, "web", "adobe-creds"))
    stamped = operator.patch_workload(kind, "web", stamp("r-1"))
    assert stamped.spec.template.metadata.annotations[ROTATION_ID_ANNOTATION] == "r-1"
    operator.patch_workload(kind, "web", {"metadata": {"annotations": {f"{GROUP}/x": "1"}}})
    container = {"name": "app", "image": "example.invalid/app:1"}
    refused = {
        "image": stamp("r-2")
        | {"spec": {"template": {"spec": {"containers": [container | {"image": "evil:1"}]}}}},
        "command": {
            "spec": {"template": {"spec": {"containers": [container | {"command": ["sh"]}]}}}
        },
        "template label": {"spec": {"template": {"metadata": {"labels": {"extra": "1"}}}}},
        "template annotation": {"spec": {"template": {"metadata": {"annotations": {"a": "1"}}}}},
        "minReadySeconds": {"spec": {"minReadySeconds": 30}},
        "label": {"metadata": {"labels": {"extra": "1"}}},
        "annotation": {"metadata": {"annotations": {"other.example/x": "1"}}},
    }
    messages = {
        what: refusal(operator.patch_workload, kind, "web", p) for what, p in refused.items()
    }
    assert "pod template" in messages["image"] and f"{kind} {namespace}/web" in messages["image"]
    assert "pod template" in messages["command"]
    assert "spec fields other than spec.template" in messages["minReadySeconds"]
    assert "labels, owners" in messages["label"]
    after = workloads.read(cluster, namespace, kind, "web")
    assert after.spec.template.spec.containers[0].image == "example.invalid/app:1"
    assert after.spec.template.metadata.annotations[ROTATION_ID_ANNOTATION] == "r-1"


def test_operator_may_restart_a_rollout_and_nothing_else(
    cluster: LocalCluster, namespace: str, operator: Operator
) -> None:
    workloads.create(cluster, namespace, workloads.rollout("canary", "adobe-creds"))
    restart = {
        "metadata": {"annotations": {ROTATION_ID_ANNOTATION: "r-1"}},
        "spec": {"restartAt": "2030-01-01T00:00:00Z"},
    }
    assert operator.patch_workload("Rollout", "canary", restart)["spec"]["restartAt"]
    container = {"name": "app", "image": "evil:1"}
    message = refusal(
        operator.patch_workload,
        "Rollout",
        "canary",
        {"spec": {"template": {"spec": {"containers": [container]}}}},
    )
    assert "spec fields other than spec.restartAt" in message
    refusal(operator.patch_workload, "Rollout", "canary", {"spec": {"replicas": 5}})


@pytest.fixture
def app_secret(cluster: LocalCluster, namespace: str) -> str:
    cluster.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "adobe-creds", "labels": {"team": "payments"}},
            "stringData": {
                "ADOBE_CLIENT_ID": "0123456789abcdef0123456789abcdef",
                "ADOBE_CLIENT_SECRET": "p8e-old",
                "DATABASE_URL": "postgres://db",
            },
        },
    )
    return "adobe-creds"


def data(**values: str) -> dict[str, str]:
    return {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}


def test_operator_may_set_only_the_credential_keys_of_the_app_secret(
    cluster: LocalCluster, namespace: str, operator: Operator, app_secret: str
) -> None:
    rotation = {
        "metadata": {
            "annotations": {
                ROTATION_ID_ANNOTATION: "r-1",
                SECRET_UUID_ANNOTATION: "u-1",
                f"{GROUP}/owner": "payments",  # any annotation under the operator's prefix
            }
        },
        "data": data(
            ADOBE_CLIENT_ID="0123456789abcdef0123456789abcdef", ADOBE_CLIENT_SECRET=SECRET_VALUE
        ),
    }
    operator.patch_secret(app_secret, rotation)
    refused: dict[str, dict[str, Any]] = {
        "a third key": {
            "data": data(
                ADOBE_CLIENT_ID="fedcba9876543210fedcba9876543210",
                ADOBE_CLIENT_SECRET=SECRET_VALUE + "-new",
                DATABASE_URL="postgres://attacker",
            )
        },
        "a removed key": {"data": {"DATABASE_URL": None}},
        "a label": {"metadata": {"labels": {"team": "other"}}},
        "an annotation of others": {"metadata": {"annotations": {"reloader/x": "1"}}},
        "an owner": {
            "metadata": {
                "ownerReferences": [
                    {
                        "apiVersion": API_VERSION,
                        "kind": KIND,
                        "name": "x",
                        "uid": "00000000-0000-0000-0000-000000000000",
                    }
                ]
            }
        },
    }
    messages = {}
    for what, patch in refused.items():
        # The current value sent again, as every rotation write does: it must never be echoed.
        patch.setdefault("data", data(ADOBE_CLIENT_SECRET=SECRET_VALUE))
        messages[what] = refusal(operator.patch_secret, app_secret, patch)
    assert all("ValidatingAdmissionPolicy" in m for m in messages.values()), messages
    assert "changes 3 keys" in messages["a third key"]
    assert "or removes one" in messages["a removed key"]
    assert "labels, type, owners" in messages["a label"]
    assert not [m for m in messages.values() if SECRET_VALUE in m]
    assert "ValidatingAdmissionPolicy" in refusal(
        operator.core.delete_namespaced_secret, app_secret, namespace
    )
    assert "managed-by" in refusal(
        operator.core.create_namespaced_secret,
        namespace,
        {"metadata": {"name": "planted"}, "stringData": {"k": "v"}},
    )
    stored = cluster.core.read_namespaced_secret(app_secret, namespace)
    assert base64.b64decode(stored.data["DATABASE_URL"]) == b"postgres://db"
    assert stored.metadata.labels == {"team": "payments"}
    assert base64.b64decode(stored.data["ADOBE_CLIENT_SECRET"]).decode() == SECRET_VALUE


def test_operator_owns_what_it_creates_and_never_writes_a_credential_spec(
    cluster: LocalCluster, namespace: str, operator: Operator
) -> None:
    created = cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, credential("payments")
    )
    owner = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": "payments",
        "uid": created["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": False,
    }
    pending = {
        "metadata": {
            "name": "payments-pending",
            "labels": {"app.kubernetes.io/managed-by": "adobe-oauth-operator"},
            "ownerReferences": [owner],
        },
        "stringData": {"clientSecret": "a"},
    }
    operator.core.create_namespaced_secret(namespace, pending)
    replaced = copy.deepcopy(pending)
    replaced["metadata"]["labels"]["x"] = "1"
    replaced["stringData"] = {"clientSecret": "b", "more": "c", "and": "d"}
    operator.patch_secret("payments-pending", replaced)
    operator.core.delete_namespaced_secret("payments-pending", namespace)
    # Its own resource: kopf's finalizer and annotations and status, never spec.
    args = (GROUP, VERSION, namespace, PLURAL, "payments")
    operator.custom.patch_namespaced_custom_object(
        *args, {"metadata": {"finalizers": [FINALIZER], "annotations": {f"{GROUP}/x": "1"}}}
    )
    operator.custom.patch_namespaced_custom_object_status(*args, {"status": {"phase": "Ready"}})
    message = refusal(
        operator.custom.patch_namespaced_custom_object, *args, {"spec": {"secretName": "other"}}
    )
    assert "never changes the spec" in message
    cluster.custom.patch_namespaced_custom_object(*args, {"metadata": {"finalizers": None}})
