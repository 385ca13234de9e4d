"""Demo entry point: for now, bring up the local control plane and show how to use it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

out = subprocess.run(
    [str(REPO / "hack" / "local-cluster"), "up"], capture_output=True, text=True, check=False
)
if out.returncode != 0:
    sys.exit(out.stderr)
line = out.stdout.strip().splitlines()[-1]
print(f"The local control plane is up.\n  export {line}\n  .tools/bin/kubectl get nodes")
print("Stop it with: hack/local-cluster down")
