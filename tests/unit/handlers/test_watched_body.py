"""A pass starts from the watched body only when it is the newest version this process knows."""

from __future__ import annotations

from adobe_oauth_operator.handlers.reconcile import Watched


def body(version: str) -> dict[str, object]:
    return {"metadata": {"name": "c", "resourceVersion": version}, "status": {"phase": "Ready"}}


def test_the_first_pass_uses_what_the_watch_listed() -> None:
    assert Watched(body("5")).current() == body("5")


def test_the_watch_caught_up_with_our_write() -> None:
    assert Watched(body("7"), last_known="7").current() == body("7")


def test_a_body_older_or_newer_than_our_last_write_is_read_again() -> None:
    assert Watched(body("6"), last_known="7").current() is None  # the watch lags
    assert Watched(body("9"), last_known="7").current() is None  # read it, it just changed


def test_a_body_without_a_version_is_read_again() -> None:
    assert Watched({"metadata": {}}).current() is None
