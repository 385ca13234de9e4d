"""The relations between timings that their comments in timings.py rely on."""

from __future__ import annotations

from adobe_oauth_operator import timings as t


def test_a_hung_adobe_call_fails_inside_its_action() -> None:
    assert t.ADOBE_CONNECT_TIMEOUT + t.ADOBE_READ_TIMEOUT < t.ACTION_TIMEOUT


def test_a_deletion_waits_longer_than_kopf_gives_a_stopping_daemon() -> None:
    assert t.DAEMON_STOP_WAIT > t.DAEMON_CANCELLATION_TIMEOUT


def test_retry_after_is_read_up_to_a_bound_then_capped_below_it() -> None:
    assert t.RETRY_AFTER_CAP < t.MAX_RETRY_AFTER


def test_conflicts_back_off_to_a_shorter_cap_than_failures() -> None:
    assert t.CONFLICT_BACKOFF_CAP < t.BACKOFF_CAP
