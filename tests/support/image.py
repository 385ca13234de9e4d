"""The operator image that `make image` builds (hack/image), and its process run from its root
file system the way a container runtime would run it (containers cannot be started here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.cluster import REPO
from support.processes import OperatorProcess

IMAGE = os.environ.get("IMAGE", "localhost/adobe-oauth-operator:dev")
BUILD = REPO / "hack" / "image"
ROOTFS_EXEC = Path(__file__).with_name("rootfs_exec.py")


def buildah(*args: str) -> str:
    result = subprocess.run(
        ["buildah", *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, f"buildah {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


@dataclass(frozen=True)
class BuiltImage:
    """The image's config (Docker form: User, Entrypoint, Cmd, Env, Labels, ...) and layers."""

    name: str
    base: str
    config: dict[str, Any]
    layer_sizes: list[int]
    base_layer_sizes: list[int]

    @property
    def bytes_above_base(self) -> int:
        assert len(self.layer_sizes) > len(self.base_layer_sizes)
        return sum(self.layer_sizes[len(self.base_layer_sizes) :])

    @property
    def env(self) -> dict[str, str]:
        return dict(item.split("=", 1) for item in self.config.get("Env") or ())


def _inspect(image: str) -> dict[str, Any]:
    return dict(json.loads(buildah("inspect", "--type", "image", image)))


def built_image(repo: Path = REPO, name: str = IMAGE) -> BuiltImage:
    """`hack/image build` of `repo` (another checkout: its own script) tagged `name`, a no-op
    when its inputs have not changed, then the image's config."""
    result = subprocess.run(
        [str(repo / BUILD.relative_to(REPO)), "build"],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
        env={**os.environ, "IMAGE": name},
    )
    assert result.returncode == 0, f"hack/image build of {name} failed:\n{result.stderr}"
    image = _inspect(name)
    manifest = json.loads(image["Manifest"])
    base_name = manifest["annotations"]["org.opencontainers.image.base.name"]
    base_manifest = json.loads(_inspect(base_name)["Manifest"])
    return BuiltImage(
        name=name,
        base=base_name,
        config=dict(image["Docker"]["config"]),
        layer_sizes=[int(layer["size"]) for layer in manifest["layers"]],
        base_layer_sizes=[int(layer["size"]) for layer in base_manifest["layers"]],
    )


@contextmanager
def mounted_rootfs(image: str) -> Iterator[Path]:
    """The image's root file system: a working container's mount, removed afterwards."""
    container = buildah("from", "--pull=never", image)
    try:
        yield Path(buildah("mount", container))
    finally:
        buildah("umount", container)
        buildah("rm", container)


def tree(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under root (mounts below it aside): its mode, size and mtime."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            info = path.lstat()
            entries["/" + path.relative_to(root).as_posix()] = (
                info.st_mode,
                info.st_size if not path.is_dir() else 0,
                int(info.st_mtime),
            )
    return entries


class ImageOperatorProcess(OperatorProcess):
    """The image's ENTRYPOINT with its CMD (or the args a Deployment gives), its USER, ENV and
    WORKDIR, chrooted into its read-only root file system, with the env and files the pod would
    get (a tmpfs /tmp as the chart's emptyDir). Logs go to <workdir>/<log_name>."""

    def __init__(
        self,
        workdir: Path,
        image: BuiltImage,
        rootfs: Path,
        *,
        env: dict[str, str],
        files: dict[str, Path],
        identity: str,
        args: list[str] | None = None,
        tmpfs: dict[str, bool] | None = None,
        log_name: str = "image-operator.log",
    ) -> None:
        self.workdir = workdir
        self.identity = identity
        uid, _, gid = image.config["User"].partition(":")
        root = workdir / f"{Path(log_name).stem}-root"
        root.mkdir()
        spec = {
            "rootfs": str(rootfs),
            "root": str(root),
            "uid": int(uid),
            "gid": int(gid or uid),
            "workdir": image.config.get("WorkingDir") or "/",
            "argv": [
                *(image.config.get("Entrypoint") or ()),
                *(image.config.get("Cmd") or () if args is None else args),
            ],
            # A runtime sets HOME when the image does not and the user has no passwd entry.
            "env": {"HOME": "/", **image.env, **env},
            "tmpfs": tmpfs or {"/tmp": False},
            "files": {target: str(source) for target, source in files.items()},
        }
        spec_file = workdir / f"{Path(log_name).stem}.json"
        spec_file.write_text(json.dumps(spec))
        self.args = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            str(ROOTFS_EXEC),
            str(spec_file),
        ]
        self.env = {"PATH": os.environ["PATH"]}
        self.log_path = workdir / log_name
        self.starts = 0
        self.proc = None
        self.start()

    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


def image_operator_with_kubeconfig(
    workdir: Path,
    image: BuiltImage,
    rootfs: Path,
    kubeconfig: Path,
    namespace: str,
    sim_url: str,
) -> ImageOperatorProcess:
    """The image's own ENTRYPOINT and CMD; the chart's env (the Adobe URLs, WATCH_NAMESPACES,
    POD_ID, POD_NAMESPACE) and a kubeconfig in /tmp standing in for the ServiceAccount."""
    identity = f"image-{workdir.name}"
    env = {
        "KUBECONFIG": "/tmp/kubeconfig",
        "ADOBE_IMS_URL": sim_url,
        "ADOBE_API_URL": sim_url,
        "WATCH_NAMESPACES": namespace,
        "POD_ID": identity,
        "POD_NAMESPACE": namespace,
    }
    files = {"/tmp/kubeconfig": kubeconfig}
    return ImageOperatorProcess(workdir, image, rootfs, env=env, files=files, identity=identity)
