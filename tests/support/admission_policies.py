"""The chart's ValidatingAdmissionPolicies on a real API server, as the chart renders them, and API
clients acting as someone else (impersonation headers) to be judged by them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from support.chart import Helm, by_kind
from support.cluster import LocalCluster
from support.waiting import wait_until

POLICY_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")


@dataclass(frozen=True)
class Policies:
    """The policy objects one rendering of the chart holds, and whom its operator policy matches."""

    docs: list[Any]
    service_account: str  # system:serviceaccount:<namespace>:<name>

    def names(self, kind: str) -> list[str]:
        return [d["metadata"]["name"] for d in by_kind(self.docs, kind)]


def render_policies(
    workdir: Path, release: str, namespace: str, values: dict[str, Any] | None = None
) -> Policies:
    """The chart's admission policies for a release in `namespace` (helm template)."""
    docs = Helm(workdir / "helm-policies").render(
        {"crds": {"enabled": False}, **(values or {})}, release=release, namespace=namespace
    )
    [account] = by_kind(docs, "ServiceAccount")
    policies = [d for d in docs if d["kind"] in POLICY_KINDS]
    assert len(policies) == 4, [d["metadata"]["name"] for d in policies]
    return Policies(policies, f"system:serviceaccount:{namespace}:{account['metadata']['name']}")


@contextmanager
def installed_policies(cluster: LocalCluster, policies: Policies) -> Iterator[Policies]:
    """Create the policies and bindings; delete them afterwards."""
    api = client.AdmissionregistrationV1Api(cluster.api)
    created: list[tuple[Callable[..., Any], str]] = []
    try:
        for doc in policies.docs:
            if doc["kind"] == "ValidatingAdmissionPolicy":
                api.create_validating_admission_policy(doc)
                created.append((api.delete_validating_admission_policy, doc["metadata"]["name"]))
            else:
                api.create_validating_admission_policy_binding(doc)
                created.append(
                    (api.delete_validating_admission_policy_binding, doc["metadata"]["name"])
                )
        for name in policies.names("ValidatingAdmissionPolicy"):
            # The API server type-checks every expression against the kinds it matches.
            status = wait_until(
                lambda n=name: (
                    (s := api.read_validating_admission_policy(n).status)
                    and s.type_checking is not None
                    and s
                ),
                timeout=30,
                what=f"{name} type-checked",
            )
            assert not status.type_checking.expression_warnings, (name, status)
        yield policies
    finally:
        for delete, name in reversed(created):
            delete(name)


def impersonating(cluster: LocalCluster, user: str) -> client.ApiClient:
    """An API client that acts as `user` (group system:authenticated); the admin impersonates."""
    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    api.set_default_header("Impersonate-User", user)
    return api


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The message the API server refused `call` with; fails when it was admitted."""
    try:
        call(*args, **kwargs)
    except ApiException as exc:
        if exc.status != 403:  # a policy's reason Forbidden; anything else is another failure
            raise
        return str(exc.body)
    raise AssertionError(f"{getattr(call, '__name__', call)} was admitted")


def grant(
    cluster: LocalCluster, namespace: str, name: str, subject: dict[str, str], rules: list[Any]
) -> None:
    """A Role with `rules` bound to `subject` (an RBAC subject: User or ServiceAccount)."""
    rbac = client.RbacAuthorizationV1Api(cluster.api)
    rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
    binding = {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [subject],
    }
    rbac.create_namespaced_role_binding(namespace, binding)


def user(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def wait_enforced(check: Callable[[], bool], what: str) -> None:
    """A new policy takes effect once the API server's admission plugin has loaded it."""
    wait_until(check, timeout=30, what=what, interval=0.2)
