"""Record core/v1 Events on an object, best effort: a failed Event never fails the caller."""

from __future__ import annotations

import logging
import secrets
import socket
from datetime import UTC, datetime
from typing import Any

from adobe_oauth_operator.kube.calls import call_json
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.errors import KubeError
from adobe_oauth_operator.kube.refs import OwnerRef, bounded_name
from adobe_oauth_operator.names import EVENT_COMPONENT, FIELD_MANAGER

logger = logging.getLogger(__name__)

# API server limits on core/v1 Events, in bytes (Go's len).
MAX_MESSAGE_BYTES = 1024
MAX_REASON_BYTES = 128
MAX_INSTANCE_BYTES = 128


async def emit_event(
    kc: KubeClients, involved: OwnerRef, type_: str, reason: str, message: str
) -> None:
    """Create an Event of `type_` ("Normal" or "Warning") on `involved` (its namespace is used)."""
    body = _event_body(involved, type_, reason, message, datetime.now(UTC))
    try:
        await call_json(
            f"create Event for {involved.kind} {involved.namespace}/{involved.name}",
            kc.events.create,
            involved.namespace,
            body,
            field_manager=FIELD_MANAGER,
        )
    except KubeError as exc:
        logger.warning("event %s not recorded: %s", reason, exc)
    except Exception as exc:  # best effort by contract; the type is all that is safe to log
        logger.warning("event %s not recorded: %s", reason, type(exc).__name__)


def _event_body(
    involved: OwnerRef, type_: str, reason: str, message: str, now: datetime
) -> dict[str, Any]:
    reason = _truncate(reason, MAX_REASON_BYTES)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": bounded_name(involved.name, f".{secrets.token_hex(8)}"),
            "namespace": involved.namespace,
        },
        "involvedObject": {
            "apiVersion": involved.api_version,
            "kind": involved.kind,
            "name": involved.name,
            "namespace": involved.namespace,
            "uid": involved.uid,
        },
        "type": type_,
        "reason": reason,
        # eventTime makes the API server require action, reportingComponent and reportingInstance.
        "action": reason,
        "message": _truncate(message, MAX_MESSAGE_BYTES),
        "count": 1,
        "firstTimestamp": _seconds(now),
        "lastTimestamp": _seconds(now),
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "source": {"component": EVENT_COMPONENT},
        "reportingComponent": EVENT_COMPONENT,
        "reportingInstance": _truncate(socket.gethostname() or EVENT_COMPONENT, MAX_INSTANCE_BYTES),
    }


def _seconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _truncate(text: str, max_bytes: int) -> str:
    """At most `max_bytes` of UTF-8, cut on a character boundary, marked with an ellipsis."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode("utf-8", "ignore") + "..."
