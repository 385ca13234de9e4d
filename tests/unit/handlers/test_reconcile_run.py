"""Running one action: bounded in time, and nothing unexpected escapes without a reason."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, cast

import pytest

from adobe_oauth_operator.handlers import reconcile
from adobe_oauth_operator.handlers.executor import Executor
from adobe_oauth_operator.rotation import messages as m


class _Raising:
    async def run(self, action: m.Action) -> m.Message:
        raise RuntimeError("a bug")


class _Hanging:
    async def run(self, action: m.Action) -> m.Message:
        await asyncio.Event().wait()  # never set: hangs until cancelled
        raise AssertionError("not reached")


def _deps() -> reconcile.Deps:
    return reconcile.Deps(adobe=cast(Any, None), kube=cast(Any, None), jitter=lambda: 0.25)


async def test_an_unexpected_exception_becomes_a_reconcile_error_with_its_traceback_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        msg = await reconcile._run(
            _deps(), cast(Executor, _Raising()), m.ListSecrets(m.Using.APP_SECRET), "ns", "creds"
        )
    assert isinstance(msg, m.ActionFailed)
    assert msg.kind is m.ErrorKind.RECONCILE_ERROR
    assert (msg.action, msg.jitter) == ("ListSecrets", 0.25)
    assert "RuntimeError" in msg.message and "ListSecrets" in msg.message
    assert "a bug" not in msg.message, "status gets the type, the log gets the details"
    assert any(r.exc_info for r in caplog.records), "the traceback is logged"


async def test_an_action_that_hangs_is_cut_off_as_transient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reconcile, "ACTION_TIMEOUT", timedelta(milliseconds=50))
    msg = await reconcile._run(
        _deps(), cast(Executor, _Hanging()), m.AddSecret("r1"), "ns", "creds"
    )
    assert isinstance(msg, m.ActionFailed)
    assert msg.kind is m.ErrorKind.TRANSIENT
    assert msg.action == "AddSecret"


def test_every_action_is_bounded_well_inside_the_lease_another_operator_waits() -> None:
    from adobe_oauth_operator.timings import ACTION_LEASE

    assert reconcile.ACTION_TIMEOUT * 1.5 <= ACTION_LEASE


def test_the_daemon_sleeps_the_requeue_within_the_resync_and_never_zero() -> None:
    """The sleep the clock-controlled outage test (e2e/test_retry_timing.py) simulates."""
    from adobe_oauth_operator.handlers.kopf_app import MIN_SLEEP, sleep_after

    resync = timedelta(hours=2)
    assert sleep_after(timedelta(seconds=240), resync) == timedelta(seconds=240)
    assert sleep_after(None, resync) == resync
    assert sleep_after(timedelta(hours=3), resync) == resync
    assert sleep_after(timedelta(0), resync) == MIN_SLEEP


class _Failing:
    async def run(self, action: m.Action) -> m.Message:
        return m.ActionFailed(m.ErrorKind.THROTTLED, "throttled (429)")


def _errors(deps: reconcile.Deps) -> dict[str, float]:
    return {
        s.labels["reason"]: s.value
        for family in deps.metrics.reconcile_errors.collect()
        for s in family.samples
        if s.name.endswith("_total")
    }


async def test_a_bug_is_counted_once_as_unexpected_and_a_failure_by_its_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deps = _deps()
    with caplog.at_level(logging.ERROR):
        await reconcile._run(
            deps, cast(Executor, _Raising()), m.ListSecrets(m.Using.APP_SECRET), "ns", "creds"
        )
    assert _errors(deps) == {"Unexpected": 1}
    assert len([r for r in caplog.records if r.exc_info]) == 1, "one traceback, logged once"
    await reconcile._run(deps, cast(Executor, _Failing()), m.AddSecret("r1"), "ns", "creds")
    assert _errors(deps) == {"Unexpected": 1, "Throttled": 1}
