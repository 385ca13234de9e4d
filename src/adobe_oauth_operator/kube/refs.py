"""References to Kubernetes objects the operator owns, reports on, or names Secrets after."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

MAX_NAME = 253  # DNS subdomain: Secret and Event names
MAX_LABEL_VALUE = 63
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class OwnerRef:
    """An object that owns a Secret or is the subject of an Event.

    `namespace` is needed for Events only: ownerReferences are namespace-local by definition.
    """

    api_version: str
    kind: str
    name: str
    uid: str
    namespace: str = ""

    def owner_reference(self) -> dict[str, Any]:
        """The metadata.ownerReferences entry; GC deletes dependents, never blocked by them."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": False,
        }


def bounded_name(base: str, suffix: str, limit: int = MAX_NAME) -> str:
    """`base + suffix`, with base shortened and hashed when the whole would exceed `limit`."""
    if len(base) + len(suffix) <= limit:
        return base + suffix
    digest = hashlib.sha256(base.encode()).hexdigest()[:10]
    keep = limit - len(suffix) - len(digest) - 1
    # A DNS label must not end in "-" or "."; the hash keeps distinct long names distinct.
    return f"{base[:keep].rstrip('-.')}-{digest}{suffix}"


def label_value(text: str) -> str:
    """`text` if it is a valid label value, else a valid, stable, shortened stand-in."""
    if len(text) <= MAX_LABEL_VALUE and _LABEL_VALUE.match(text):
        return text
    return bounded_name(text, "", MAX_LABEL_VALUE).lstrip("-._")
