"""Install CustomResourceDefinitions into the test cluster and wait until they are served."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from support.cluster import LocalCluster
from support.waiting import wait_until


def apply_crd(cluster: LocalCluster, manifest: dict[str, Any], *, replace: bool) -> dict[str, Any]:
    """Create the CRD, or (with replace) replace the one there; wait until it is Established."""
    ext = client.ApiextensionsV1Api(cluster.api)
    name = manifest["metadata"]["name"]
    try:
        current = ext.read_custom_resource_definition(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
        ext.create_custom_resource_definition(manifest)
    else:
        if replace:
            body = {**manifest, "metadata": {**manifest["metadata"]}}
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            ext.replace_custom_resource_definition(name, body)

    def established() -> Any:
        crd = ext.read_custom_resource_definition(name)
        conditions = {c.type: c.status for c in crd.status.conditions or ()}
        done = conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True"
        return crd if done else None

    crd = wait_until(established, timeout=30, what=f"CRD {name} Established")
    return dict(cluster.api.sanitize_for_serialization(crd))


def recreate_crd(cluster: LocalCluster, manifest: dict[str, Any]) -> dict[str, Any]:
    """Delete the CRD (and so every resource of it) and create `manifest`: how a test puts an
    older CRD in place once a newer one has stored a version the older one lacks (the API server
    refuses to drop a stored version by replacement)."""
    ext = client.ApiextensionsV1Api(cluster.api)
    name = manifest["metadata"]["name"]
    try:
        current = ext.read_custom_resource_definition(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
    else:
        _release_finalizers(cluster, current)
        ext.delete_custom_resource_definition(name)

    def gone() -> bool:
        try:
            ext.read_custom_resource_definition(name)
        except ApiException as exc:
            return exc.status == 404
        return False

    wait_until(gone, timeout=60, what=f"CRD {name} deleted")
    return apply_crd(cluster, manifest, replace=False)


def _release_finalizers(cluster: LocalCluster, crd: Any) -> None:
    """Drop the finalizers of the resources left behind (their operators are gone when an earlier
    test failed half-way), else deleting the CRD waits for them for ever."""
    group, plural = crd.spec.group, crd.spec.names.plural
    for version in (v.name for v in crd.spec.versions if v.served):
        listed = cluster.custom.list_cluster_custom_object(group, version, plural)
        for item in listed["items"]:
            meta = item["metadata"]
            if meta.get("finalizers"):
                cluster.custom.patch_namespaced_custom_object(
                    group,
                    version,
                    meta["namespace"],
                    plural,
                    meta["name"],
                    {"metadata": {"finalizers": None}},
                )
        return  # every served version lists the same objects
