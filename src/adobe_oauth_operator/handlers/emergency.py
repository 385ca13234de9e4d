"""The emergency annotation: how it is read, and its removal once its request is spent."""

from __future__ import annotations

import logging

from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credentials import remove_spent_annotation
from adobe_oauth_operator.names import EMERGENCY_ANNOTATION, ROTATE_ANNOTATION
from adobe_oauth_operator.rotation.model import Status

logger = logging.getLogger(__name__)


def emergency_spent(annotations: dict[str, str], status: Status) -> bool:
    """The emergency annotation sits beside the request it was recorded as spent on."""
    request = annotations.get(ROTATE_ANNOTATION)
    return (
        EMERGENCY_ANNOTATION in annotations
        and request is not None
        and request == status.last_emergency_request
    )


async def remove_emergency(
    kube: KubeClients, namespace: str, name: str, annotations: dict[str, str], version: str
) -> str:
    """Remove the spent emergency annotation unless the object changed meanwhile (then the next
    pass, which reads it again, does); the resourceVersion to go on with."""
    expected = {k: annotations[k] for k in (ROTATE_ANNOTATION, EMERGENCY_ANNOTATION)}
    removed = await remove_spent_annotation(
        kube, namespace, name, EMERGENCY_ANNOTATION, expected, version
    )
    if removed is None:
        return version
    logger.info("%s/%s: emergency annotation spent and removed", namespace, name)
    return removed


def is_emergency(annotations: dict[str, str]) -> bool:
    """`emergency: "true"` (the documented form) or the rotate request's own value."""
    value = annotations.get(EMERGENCY_ANNOTATION, "")
    return value.lower() == "true" or (value != "" and value == annotations.get(ROTATE_ANNOTATION))
