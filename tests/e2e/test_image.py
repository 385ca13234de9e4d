"""The operator image `make image` builds, run as the chart runs it: its own entrypoint, user
and environment, from its read-only root file system, against the local cluster and the
simulator. No container runtime can start containers here, so the root file system is entered
with chroot in a private mount namespace (support/rootfs_exec.py)."""

from __future__ import annotations

import base64
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.chart import CHART, Helm, only
from support.chart_operator import (
    ChartInstall,
    delete_credentials,
    installed_chart,
    sim_and_app_secret,
)
from support.cluster import REPO, LocalCluster
from support.image import (
    BuiltImage,
    ImageOperatorProcess,
    built_image,
    image_operator_with_kubeconfig,
    mounted_rootfs,
    tree,
)
from support.operator_env import CRED, ORG, Env
from support.rootfs_exec import DEVICES
from support.waiting import wait_until

# Issue 11's target for what the operator adds to its base (uncompressed).
MAX_BYTES_ABOVE_BASE = 60_000_000
SITE_PACKAGES = Path("opt/venv/lib/python3.11/site-packages")
SERVICE_ACCOUNT = "/run/secrets/kubernetes.io/serviceaccount"  # /var/run -> /run in the image
# Text in the operator's log that means a call was refused (as in test_rbac).
REFUSALS = ("forbidden", "not enough permissions", "unauthorized", "reconcile failed")


@pytest.fixture(scope="module")
def image() -> BuiltImage:
    return built_image()


@pytest.fixture(scope="module")
def rootfs(image: BuiltImage) -> Iterator[Path]:
    with mounted_rootfs(image.name) as path:
        yield path


@pytest.fixture(scope="module")
def base_rootfs(image: BuiltImage) -> Iterator[Path]:
    with mounted_rootfs(image.base) as path:
        yield path


@pytest.fixture
def start_operator(image: BuiltImage, rootfs: Path) -> Any:
    """The `env` fixture's operator, run from the image."""

    def start(workdir: Path, kubeconfig: Path, namespace: str, sim_url: str) -> Any:
        return image_operator_with_kubeconfig(
            workdir, image, rootfs, kubeconfig, namespace, sim_url
        )

    return start


def _chart_pod(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod spec and its one container, as the chart renders them with default values."""
    deployment = only(Helm(tmp_path / "helm").render(), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    return pod, container


def test_image_config_is_what_the_charts_deployment_expects(
    image: BuiltImage, tmp_path: Path
) -> None:
    pod, container = _chart_pod(tmp_path)
    config = image.config
    # The chart gives args only: the image's ENTRYPOINT runs them, as it runs its own CMD.
    assert "command" not in container
    assert config["Entrypoint"] == ["/opt/venv/bin/adobe-oauth-operator"]
    assert container["args"][0] == config["Cmd"][0] == "run"
    # One HTTP port: EXPOSEd, served by the default CMD's liveness endpoint, probed by the chart.
    # (The chart adds the metrics port and --metrics; the image's default CMD serves no metrics.)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    [port] = [p for p in container["ports"] if p["name"] == "http"]
    assert list(config["ExposedPorts"]) == [f"{values['httpPort']}/tcp"]
    assert port["containerPort"] == values["httpPort"]
    assert f"http://0.0.0.0:{values['httpPort']}/healthz" in config["Cmd"]
    assert f"--liveness=http://0.0.0.0:{values['httpPort']}/healthz" in container["args"]
    # A numeric non-root user (runAsNonRoot can only check a number), the chart's uid/gid.
    pod_security = pod["securityContext"]
    assert config["User"] == f"{pod_security['runAsUser']}:{pod_security['runAsGroup']}"
    assert pod_security["runAsNonRoot"] and container["securityContext"]["runAsNonRoot"]
    # The root file system is read-only; /tmp is the one writable place, as in the run below.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/tmp"]
    # Labels: the name and version the chart deploys (its default tag is the appVersion).
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    labels = config["Labels"]
    assert (
        labels["org.opencontainers.image.title"] == chart["name"] == values["image"]["repository"]
    )
    assert labels["org.opencontainers.image.version"] == chart["appVersion"] == project["version"]
    assert labels["org.opencontainers.image.licenses"] == project["license"]
    assert image.env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_image_holds_only_what_runs(image: BuiltImage, rootfs: Path) -> None:
    venv = rootfs / "opt" / "venv"
    site = rootfs / SITE_PACKAGES
    assert (site / "adobe_oauth_operator" / "handlers").is_dir()
    assert not list(venv.rglob("__pycache__")) and not list(venv.rglob("*.pyc"))
    assert not list(site.glob("*/tests")) and not list(site.glob("*/test"))
    installers = [p.name for p in site.iterdir() if p.name.split("-")[0] in {"pip", "setuptools"}]
    assert installers == []
    # The simulator is a test double; the asynchronous Kubernetes client is never imported.
    assert not (site / "adobe_oauth_operator" / "sim").exists()
    assert not (venv / "bin" / "adobe-oauth-sim").exists()
    assert not (site / "kubernetes" / "aio").exists()
    # Build-time PyPI settings were mounted, never copied.
    assert not (rootfs / "etc" / "pip.conf").exists()
    above = image.bytes_above_base
    print(f"\nimage layers above the base: {above / 1e6:.1f} MB (uncompressed)")
    assert above < MAX_BYTES_ABOVE_BASE, f"{above / 1e6:.1f} MB above the base"


def test_the_image_adds_the_virtualenv_to_its_base_and_nothing_else(
    rootfs: Path, base_rootfs: Path
) -> None:
    """Nothing of the build (sources, pip settings, the machine's CA bundle, apt lists) and no
    change to a file of the base reaches the runtime image: only /opt/venv is new."""
    image, base = tree(rootfs), tree(base_rootfs)
    added = sorted(set(image) - set(base))
    assert added and all(p == "/opt/venv" or p.startswith("/opt/venv/") for p in added), added
    assert set(base) <= set(image)
    changed = [p for p in base if p != "/opt" and image[p] != base[p]]
    assert changed == []


def test_image_adopts_and_rotates_as_non_root_with_a_read_only_root(
    env: Env, image: BuiltImage
) -> None:
    operator = env.operator
    assert isinstance(operator, ImageOperatorProcess)
    env.add_deployment("web")
    env.apply_credential()
    old_uuid = env.wait_adopted(timeout=120)["currentSecretUuid"]
    assert env.wait_events("Adopted")
    with env.apps() as apps:
        env.request_rotation()
        status = env.wait_rotations(1, timeout=120)
    env.assert_clean_end_state(1)
    assert status["currentSecretUuid"] != old_uuid
    assert env.app_secret_value() != env.initial_value
    assert apps.errors == []
    # The process that did it: the image's user and group, not root ...
    proc = Path(f"/proc/{operator.pid()}")
    ids = {
        line.split(":")[0]: line.split()[1:] for line in (proc / "status").read_text().splitlines()
    }
    assert ids["Uid"] == ids["Gid"] == ["65532"] * 4
    assert ids["Groups"] == []
    # ... whose root is the image's file system, mounted read-only, with only /tmp writable.
    mounts = {
        fields[4]: fields[5].split(",")
        for fields in map(str.split, (proc / "mountinfo").read_text().splitlines())
    }
    assert "ro" in mounts["/"]
    writable = {path for path, options in mounts.items() if "rw" in options}
    assert writable == {"/proc", "/tmp", *(f"/dev/{device}" for device in DEVICES)}
    assert (proc / "root" / "opt" / "venv" / "bin" / "adobe-oauth-operator").is_file()
    # Its liveness endpoint, on the port the image exposes, answers as the chart's probes ask.
    [port] = [int(p.split("/")[0]) for p in image.config["ExposedPorts"]]
    assert wait_until(lambda: _healthz_ok(port), timeout=30, what="the image's liveness endpoint")
    assert not operator.exited()
    assert "Read-only file system" not in operator.logs()


def _healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def test_image_runs_as_the_charts_deployment_runs_it(
    cluster: LocalCluster,
    namespace: str,
    crd_installed: object,
    image: BuiltImage,
    rootfs: Path,
    tmp_path: Path,
) -> None:
    """The chart's args after the image's ENTRYPOINT, the chart's env, and its ServiceAccount's
    token where the kubelet mounts it (in-cluster configuration, the chart's RBAC only)."""
    values = {"crds": {"enabled": False}, "watchNamespaces": [namespace], "resyncSeconds": 2}
    with installed_chart(cluster, tmp_path, f"img-{namespace}", namespace, values) as chart:
        sim, client_id, initial = sim_and_app_secret(cluster, namespace, tmp_path, ORG, CRED)
        operator = ImageOperatorProcess(
            tmp_path,
            image,
            rootfs,
            env=_pod_env(cluster, chart, sim.url, pod_id="operator-0"),
            files=_service_account_files(cluster, chart, tmp_path),
            identity="operator-0",
            args=chart.container["args"],
            tmpfs={"/tmp": False, "/run": True},
            log_name="chart-image-operator.log",
        )
        try:
            env = Env(cluster, namespace, sim, operator, client_id, initial, tmp_path)
            env.add_deployment("web")
            env.apply_credential()
            old_uuid = env.wait_adopted(timeout=120)["currentSecretUuid"]
            env.request_rotation()
            status = env.wait_rotations(1, timeout=120)
            env.assert_clean_end_state(1)
            assert status["currentSecretUuid"] != old_uuid
            ports = {p["name"]: p["containerPort"] for p in chart.container["ports"]}
            assert wait_until(
                lambda: _healthz_ok(ports["http"]), timeout=30, what="liveness endpoint"
            )
            # The image serves the metrics the chart's Service points at.
            url = f"http://127.0.0.1:{ports['metrics']}/metrics"
            with urllib.request.urlopen(url, timeout=5) as response:
                scraped = response.read().decode()
            assert 'adobe_oauth_rotations_total{name="creds"' in scraped
            delete_credentials(cluster, namespace)  # while the operator runs: its finalizer
            logs = operator.logs()
            assert not [r for r in REFUSALS if r in logs.lower()], logs[-3000:]
            assert initial not in logs and env.app_secret_value() not in logs
        finally:
            operator.stop()
            sim.stop()


def _pod_env(
    cluster: LocalCluster, chart: ChartInstall, sim_url: str, pod_id: str
) -> dict[str, str]:
    """The container's env as the kubelet resolves it, the Adobe URLs pointed at the simulator,
    and the API server's address as the kubelet injects it for in-cluster configuration."""
    env = {}
    for var in chart.container.get("env") or ():
        field = var.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if "value" in var:
            env[var["name"]] = var["value"]
        elif field in ("metadata.name", "metadata.namespace"):
            env[var["name"]] = pod_id if field == "metadata.name" else chart.namespace
        else:
            raise AssertionError(f"unexpected env source in the chart: {var}")
    assert {"ADOBE_IMS_URL", "ADOBE_API_URL", "WATCH_NAMESPACES", "POD_ID"} <= set(env)
    env["ADOBE_IMS_URL"] = env["ADOBE_API_URL"] = sim_url
    server = urllib.parse.urlsplit(_admin_cluster(cluster)["server"])
    env["KUBERNETES_SERVICE_HOST"] = str(server.hostname)
    env["KUBERNETES_SERVICE_PORT"] = str(server.port)
    return env


def _service_account_files(
    cluster: LocalCluster, chart: ChartInstall, workdir: Path
) -> dict[str, Path]:
    """The projected ServiceAccount volume: a TokenRequest token, the cluster CA, the namespace."""
    token = yaml.safe_load(chart.kubeconfig.read_text())["users"][0]["user"]["token"]
    ca = base64.b64decode(_admin_cluster(cluster)["certificate-authority-data"])
    source = workdir / "serviceaccount"
    source.mkdir()
    (source / "token").write_text(token)
    (source / "ca.crt").write_bytes(ca)
    (source / "namespace").write_text(chart.namespace)
    return {f"{SERVICE_ACCOUNT}/{name}": source / name for name in ("token", "ca.crt", "namespace")}


def _admin_cluster(cluster: LocalCluster) -> dict[str, str]:
    return dict(yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"])
