"""Run an image's process from its root file system, as a container runtime would, without one.

Started by `unshare --mount --propagation private` (a private mount namespace: nothing here is
seen outside, and it all goes when the process ends) with one argument, a JSON file:
rootfs, root (an empty directory to build the view in), uid, gid, workdir, argv, env, tmpfs
({directory: read-only once filled}) and files ({path in one of those tmpfs: host file}). The
root is the image's file system mounted read-only, with /proc, a minimal /dev and the tmpfs
mounts (/tmp: the chart's emptyDir; /run: where a pod's ServiceAccount token is mounted); the
files are copied in for the user; then chroot, drop to uid/gid and exec the image's process in
place of this one (the pid stays the same).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DEVICES = ("null", "zero", "random", "urandom")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    root = Path(spec["root"])
    mount("--bind", spec["rootfs"], str(root))
    mount("-o", "remount,bind,ro,nosuid,nodev", str(root))
    mount("-t", "proc", "-o", "nosuid,nodev,noexec", "proc", str(root / "proc"))
    mount("-t", "tmpfs", "-o", "mode=755,size=64k,nosuid,noexec", "dev", str(root / "dev"))
    for device in DEVICES:
        (root / "dev" / device).touch()
        mount("--bind", f"/dev/{device}", str(root / "dev" / device))
    mount("-o", "remount,ro,nosuid,noexec", str(root / "dev"))
    uid, gid = int(spec["uid"]), int(spec["gid"])
    for directory in spec["tmpfs"]:
        mount(
            "-t",
            "tmpfs",
            "-o",
            "mode=1777,size=16m,nosuid,nodev",
            "tmpfs",
            str(root / directory[1:]),
        )
    for target, source in spec["files"].items():
        directory = next((d for d in spec["tmpfs"] if target.startswith(d + "/")), None)
        assert directory, f"{target}: not in a tmpfs (the root is read-only)"
        inside = root / target[1:]
        inside.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, inside)
        os.chown(inside, uid, gid)
        inside.chmod(0o600)
    for directory, read_only in spec["tmpfs"].items():
        if read_only:
            mount("-o", "remount,ro,nosuid,nodev", str(root / directory[1:]))
    os.chroot(root)
    os.chdir(spec["workdir"] or "/")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    argv = spec["argv"]
    os.execvpe(argv[0], argv, spec["env"])  # noqa: S606 - the image's own entrypoint


if __name__ == "__main__":
    main(sys.argv[1])
