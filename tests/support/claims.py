"""A status that holds the claim its spec asks for, as every resource does before it adopts."""

from __future__ import annotations

from dataclasses import replace

from adobe_oauth_operator.rotation.claims import wanted
from adobe_oauth_operator.rotation.model import EPOCH, Spec, Status


def claimed(spec: Spec, status: Status | None = None) -> Status:
    """`status` (default: a new resource's) holding the Secret and credential `spec` names."""
    base = status if status is not None else Status()
    return replace(base, claim=replace(wanted(spec, EPOCH), confirmed=True))
