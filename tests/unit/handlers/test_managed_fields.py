"""The watched body kopf keeps for each daemon holds no managedFields (half its memory)."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from adobe_oauth_operator.handlers.kopf_app import forget_managed_fields, wake_on_change


def raw_body() -> dict[str, Any]:
    return {
        "metadata": {
            "name": "c",
            "generation": 1,
            "resourceVersion": "7",
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {}}],
        },
        "spec": {"secretName": "s"},
    }


def test_the_event_handler_drops_them_from_the_body_kopf_keeps() -> None:
    raw = raw_body()
    body = kopf.Body(raw)  # kopf's live body wraps the event's object, not a copy
    event: kopf.RawEvent = {"type": "MODIFIED", "object": raw}
    asyncio.run(wake_on_change(body=body, event=event, memo=kopf.Memo()))
    assert "managedFields" not in body.metadata
    assert body.metadata["resourceVersion"] == "7"
    assert body.spec["secretName"] == "s"


def test_odd_events_are_left_alone() -> None:
    forget_managed_fields({"type": "ERROR", "object": "gone"})
    forget_managed_fields({"type": None, "object": {"metadata": None}})
    event: kopf.RawEvent = {"type": "ADDED", "object": {"metadata": {"name": "c"}}}
    forget_managed_fields(event)
    assert event["object"] == {"metadata": {"name": "c"}}
