"""Log fields of the resource being worked on, and the JSON format a log pipeline reads.

The daemon of each resource binds its namespace and name (and, as a rotation goes, its id, step
and the reason of a failure) in a context variable; a filter copies them onto every record logged
from that task, so lines of the Adobe client and the Kubernetes layer carry them too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FIELDS = ("namespace", "name", "rotation_id", "step", "reason")
# A record's own `name` is its logger's: only these may be passed with extra={...}.
_EXTRA_FIELDS = ("namespace", "rotation_id", "step", "reason")
_RECORD_ATTR = "aoo_fields"
_bound: ContextVar[Mapping[str, str]] = ContextVar(
    "adobe_oauth_operator_log_fields", default=MappingProxyType({})
)


def bind(**fields: str | None) -> None:
    """Set (or, with None, clear) fields for the rest of the current task."""
    merged = dict(_bound.get())
    for key, value in fields.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    _bound.set(merged)


@contextlib.contextmanager
def resource_fields(namespace: str, name: str) -> Iterator[None]:
    """Every line logged inside carries the resource's namespace and name."""
    token = _bound.set({"namespace": namespace, "name": name})
    try:
        yield
    finally:
        _bound.reset(token)


def bound_fields() -> Mapping[str, str]:
    return _bound.get()


class ResourceFieldsFilter(logging.Filter):
    """Puts the bound fields, or those of kopf's per-object logger, on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(_bound.get())
        ref = getattr(record, "k8s_ref", None)
        if isinstance(ref, Mapping):
            for key in ("namespace", "name"):
                if ref.get(key):
                    fields.setdefault(key, str(ref[key]))
        # Fields a call passed explicitly (extra={"reason": ...}) win.
        for key in _EXTRA_FIELDS:
            value = getattr(record, key, None)
            if isinstance(value, str) and value:
                fields[key] = value
        setattr(record, _RECORD_ATTR, fields)
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: time, severity, logger, message, the resource fields, traceback."""

    def __init__(self) -> None:
        reserved = {*RESERVED_ATTRS, _RECORD_ATTR, "k8s_skip", "k8s_ref", "settings", *FIELDS}
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "severity", "name": "logger"},
            reserved_attrs=sorted(reserved),
            timestamp=True,
        )

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        fields = getattr(record, _RECORD_ATTR, None) or {}
        for key in FIELDS:
            if key in fields:
                log_record[key] = fields[key]


def install(json_format: bool) -> None:
    """Add the fields filter to the root handlers (kopf installed them); JSON if asked."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(ResourceFieldsFilter())
        if json_format:
            handler.setFormatter(JsonLogFormatter())
