"""Argo CD (its application controller and repo server, started by `hack/local-cluster argocd`)
driven the way users drive it: Applications pointing at a git repository, `argocd-cm` settings."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support.cluster import LOCAL_CLUSTER, LocalCluster
from support.waiting import wait_until

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
IN_CLUSTER = "https://kubernetes.default.svc"


def start_argocd() -> tuple[str, bool]:
    """Start Argo CD in the running local cluster unless it runs: its namespace, and whether
    this call started it."""
    out = subprocess.run(
        [str(LOCAL_CLUSTER), "argocd"], capture_output=True, text=True, check=False, timeout=300
    )
    if out.returncode != 0:
        raise RuntimeError(f"hack/local-cluster argocd failed:\n{out.stderr}")
    lines = dict(line.split("=", 1) for line in out.stdout.strip().splitlines() if "=" in line)
    return lines["ARGOCD_NAMESPACE"], lines["ARGOCD_STARTED"] == "true"


def stop_argocd() -> None:
    """Stop Argo CD's processes (its CRDs, namespace and settings stay)."""
    subprocess.run([str(LOCAL_CLUSTER), "argocd-down"], check=True, timeout=120)


class GitRepo:
    """A local git repository Argo CD reads through a file:// URL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._git("init", "--quiet", "--initial-branch=main")
        self.url = f"file://{path}"

    def _git(self, *args: str) -> str:
        env_args = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")
        out = subprocess.run(
            ["git", *env_args, *args], cwd=self.path, capture_output=True, text=True, check=True
        )
        return out.stdout

    def write(self, relative: str, documents: list[dict[str, Any]]) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump_all(documents, sort_keys=False))

    def remove(self, relative: str) -> None:
        (self.path / relative).unlink()

    def copy_tree(self, source: Path, relative: str) -> None:
        shutil.copytree(source, self.path / relative, dirs_exist_ok=True)

    def commit(self, message: str) -> str:
        self._git("add", "--all")
        self._git("commit", "--quiet", "--allow-empty", "-m", message)
        return self._git("rev-parse", "HEAD").strip()


@dataclass
class ArgoCD:
    """The Argo CD of the test cluster: Applications in its namespace, its `argocd-cm`."""

    cluster: LocalCluster
    namespace: str

    # -- settings ------------------------------------------------------------------------------
    def set_settings(self, data: dict[str, str | None]) -> None:
        """Merge keys into argocd-cm (None removes one); the controller watches it."""
        self.cluster.core.patch_namespaced_config_map("argocd-cm", self.namespace, {"data": data})

    # -- Applications --------------------------------------------------------------------------
    def create_app(
        self,
        name: str,
        repo: GitRepo,
        path: str,
        namespace: str,
        *,
        sync_options: Sequence[str] = (),
        ignore_differences: list[dict[str, Any]] | None = None,
        helm: dict[str, Any] | None = None,
        automated: bool = True,
        retry: dict[str, Any] | None = None,
    ) -> None:
        source: dict[str, Any] = {"repoURL": repo.url, "targetRevision": "main", "path": path}
        if helm is not None:
            source["helm"] = helm
        sync_policy: dict[str, Any] = {"syncOptions": list(sync_options)}
        if automated:
            sync_policy["automated"] = {"prune": True, "selfHeal": True}
        if retry is not None:
            sync_policy["retry"] = retry
        spec: dict[str, Any] = {
            "project": "default",
            "source": source,
            "destination": {"server": IN_CLUSTER, "namespace": namespace},
            "syncPolicy": sync_policy,
        }
        if ignore_differences:
            spec["ignoreDifferences"] = ignore_differences
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Application",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": spec,
        }
        self.cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, body
        )

    def app(self, name: str) -> dict[str, Any]:
        return dict(
            self.cluster.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name
            )
        )

    def refresh(self, name: str) -> None:
        """What `argocd app get --refresh` does: compare against git now, not at the next resync."""
        self.cluster.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            name,
            {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}},
        )

    def delete_app(self, name: str) -> None:
        """Delete the Application only: no resources finalizer, so what it synced stays."""
        self.cluster.custom.delete_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name
        )

    def state(self, name: str) -> AppState:
        return AppState.of(self.app(name))

    def wait(
        self,
        name: str,
        *,
        sync: str = "Synced",
        health: str | None = "Healthy",
        revision: str | None = None,
        timeout: float = 120,
    ) -> AppState:
        """Until the Application reports this sync status (at this git revision) and health."""
        last: list[AppState] = []

        def reached() -> AppState | None:
            state = self.state(name)
            last[:] = [state]
            if state.sync != sync or (health is not None and state.health != health):
                return None
            if revision is not None and state.revision != revision:
                return None
            if state.operation_phase == "Running":
                return None
            return state

        try:
            return wait_until(
                reached,
                timeout=timeout,
                what=f"Application {name} {sync}/{health} at {revision or 'any revision'}",
                interval=0.5,
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the Application's last state: {last}") from None


@dataclass(frozen=True)
class AppState:
    """What `argocd app get` shows: sync status and revision, health, the last operation."""

    sync: str
    health: str
    revision: str
    operation_phase: str
    operation_message: str
    resources: list[dict[str, Any]]
    conditions: list[dict[str, Any]]

    @classmethod
    def of(cls, app: dict[str, Any]) -> AppState:
        status = app.get("status") or {}
        operation = status.get("operationState") or {}
        return cls(
            sync=(status.get("sync") or {}).get("status", ""),
            health=(status.get("health") or {}).get("status", ""),
            revision=(status.get("sync") or {}).get("revision", ""),
            operation_phase=operation.get("phase", ""),
            operation_message=operation.get("message", ""),
            resources=list(status.get("resources") or []),
            conditions=list(status.get("conditions") or []),
        )

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["kind"] == kind and r["name"] == name)
