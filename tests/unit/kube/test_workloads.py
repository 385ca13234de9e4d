"""Which pod specs reference a Secret: every place a pod can read one, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from adobe_oauth_operator.kube.workloads import (
    template_reads_secret_from_env,
    template_references_secret,
)
from adobe_oauth_operator.rotation.model import Target

SECRET = "creds"


def _env(name: str) -> dict[str, Any]:
    return {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": name, "key": "k"}}}]}


def _env_from(name: str) -> dict[str, Any]:
    return {"envFrom": [{"secretRef": {"name": name}}]}


def _in(key: str, container: dict[str, Any]) -> dict[str, Any]:
    return {key: [{"name": "c", "image": "i", **container}]}


def _volume(volume: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "c", "image": "i"}], "volumes": [{"name": "v", **volume}]}


def _projected(*sources: dict[str, Any]) -> dict[str, Any]:
    return _volume({"projected": {"sources": list(sources)}})


REFERENCING = {
    "env in container": _in("containers", _env(SECRET)),
    "env in initContainer": _in("initContainers", _env(SECRET)),
    "env in ephemeralContainer": _in("ephemeralContainers", _env(SECRET)),
    "envFrom in container": _in("containers", _env_from(SECRET)),
    "envFrom in initContainer": _in("initContainers", _env_from(SECRET)),
    "envFrom in ephemeralContainer": _in("ephemeralContainers", _env_from(SECRET)),
    "secret volume": _volume({"secret": {"secretName": SECRET}}),
    "projected volume": _projected({"secret": {"name": SECRET}}),
    "projected among other sources": _projected(
        {"configMap": {"name": SECRET}},
        {"serviceAccountToken": {"path": "t"}},
        {"secret": {"name": SECRET, "items": [{"key": "a", "path": "a"}]}},
    ),
    "second of several env entries": _in(
        "containers",
        {"env": [{"name": "PLAIN", "value": "v"}, *_env(SECRET)["env"]]},
    ),
    "second container": {
        "containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i", **_env(SECRET)}]
    },
}

NOT_REFERENCING = {
    "empty pod spec": {},
    "no secret at all": _in("containers", {"env": [{"name": "X", "value": SECRET}]}),
    "other secret via env": _in("containers", _env("other")),
    "other secret via envFrom": _in("containers", _env_from("other")),
    "other secret volume": _volume({"secret": {"secretName": "other"}}),
    "other projected secret": _projected({"secret": {"name": "other"}}),
    "name is a prefix": _in("containers", _env(SECRET + "-pending")),
    "configMap env of that name": _in(
        "containers",
        {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": SECRET, "key": "k"}}}]},
    ),
    "configMap envFrom of that name": _in(
        "containers", {"envFrom": [{"configMapRef": {"name": SECRET}}]}
    ),
    "configMap volume of that name": _volume({"configMap": {"name": SECRET}}),
    "projected configMap of that name": _projected({"configMap": {"name": SECRET}}),
    "volume named like the secret": _volume({"name": SECRET, "emptyDir": {}}),
    "imagePullSecret of that name": {
        "containers": [{"name": "c", "image": "i"}],
        "imagePullSecrets": [{"name": SECRET}],
    },
    "fieldRef env": _in(
        "containers",
        {"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
    ),
    "explicit nulls": {
        "containers": [{"name": "c", "env": None, "envFrom": None}],
        "volumes": None,
    },
}


@pytest.mark.parametrize("pod_spec", REFERENCING.values(), ids=REFERENCING.keys())
def test_references(pod_spec: dict[str, Any]) -> None:
    assert template_references_secret(pod_spec, SECRET)


@pytest.mark.parametrize("pod_spec", NOT_REFERENCING.values(), ids=NOT_REFERENCING.keys())
def test_does_not_reference(pod_spec: dict[str, Any]) -> None:
    assert not template_references_secret(pod_spec, SECRET)


@pytest.mark.parametrize("pod_spec", REFERENCING.values(), ids=REFERENCING.keys())
def test_other_secret_names_do_not_match(pod_spec: dict[str, Any]) -> None:
    assert not template_references_secret(pod_spec, "other")


@pytest.mark.parametrize("pod_spec", REFERENCING.values(), ids=REFERENCING.keys())
def test_env_readers_are_those_that_do_not_read_a_volume(pod_spec: dict[str, Any]) -> None:
    """A vended token Secret's env readers are rolled on a rotation; a mounted file updates."""
    via_volume = bool(pod_spec.get("volumes"))
    assert template_reads_secret_from_env(pod_spec, SECRET) is not via_volume


@pytest.mark.parametrize("pod_spec", NOT_REFERENCING.values(), ids=NOT_REFERENCING.keys())
def test_no_env_reader_without_a_reference(pod_spec: dict[str, Any]) -> None:
    assert not template_reads_secret_from_env(pod_spec, SECRET)


def test_targets_sort_by_kind_then_name() -> None:
    refs = [
        Target("StatefulSet", "a"),
        Target("DaemonSet", "b"),
        Target("Deployment", "c"),
    ]
    assert sorted(refs) == [
        Target("DaemonSet", "b"),
        Target("Deployment", "c"),
        Target("StatefulSet", "a"),
    ]
