"""The --state file: the simulator's state as JSON, replaced atomically on every change."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def save_state(path: Path, data: dict[str, Any]) -> None:
    """Write via a temporary file so a crash never leaves half a state behind."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(temporary, path)


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none yet."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a simulator state")
    return data
