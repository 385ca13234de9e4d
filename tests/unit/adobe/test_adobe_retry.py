"""RetryPolicy: full-jitter backoff bounded in attempts and time, honouring Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adobe_oauth_operator.adobe import (
    InvalidClientError,
    RetryPolicy,
    ThrottledError,
    TransientError,
)
from adobe_oauth_operator.adobe.retry import call_with_retries
from adobe_oauth_operator.adobe.transport import retry_after_seconds


def transient() -> TransientError:
    return TransientError("list: Adobe answered 503", operation="list", status=503)


def throttled(retry_after: float | None) -> ThrottledError:
    return ThrottledError("throttled", operation="list", status=429, retry_after=retry_after)


def policy(fake_sleep: Any, **overrides: Any) -> RetryPolicy:
    options: dict[str, Any] = {
        "max_attempts": 5,
        "max_total_s": 60.0,
        "base_backoff_s": 0.5,
        "max_backoff_s": 4.0,
        "sleep": fake_sleep,
        "random": lambda: 1.0,
        "monotonic": fake_sleep.monotonic,
    }
    options.update(overrides)
    return RetryPolicy(**options)


class Flaky:
    """Fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_backoff_doubles_up_to_the_cap_and_jitter_scales_it(fake_sleep: Any) -> None:
    full = policy(fake_sleep)
    assert [full.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    half = policy(fake_sleep, random=lambda: 0.5)
    assert half.backoff(3) == 1.0
    assert policy(fake_sleep, random=lambda: 0.0).backoff(3) == 0.0


async def test_transient_errors_are_retried_until_success(fake_sleep: Any) -> None:
    call = Flaky(transient(), transient())
    assert await call_with_retries(policy(fake_sleep), call) == "ok"
    assert call.calls == 3
    assert fake_sleep.delays == [0.5, 1.0]


async def test_attempts_are_bounded(fake_sleep: Any) -> None:
    call = Flaky(*[transient() for _ in range(10)])
    with pytest.raises(TransientError):
        await call_with_retries(policy(fake_sleep, max_attempts=3), call)
    assert call.calls == 3
    assert len(fake_sleep.delays) == 2


async def test_total_time_is_bounded(fake_sleep: Any) -> None:
    call = Flaky(*[transient() for _ in range(10)])
    with pytest.raises(TransientError):
        await call_with_retries(policy(fake_sleep, max_total_s=3.0, max_attempts=10), call)
    # 0.5 + 1.0 fit in 3 s; the next 2.0 would not.
    assert fake_sleep.delays == [0.5, 1.0]


async def test_retry_after_is_a_lower_bound_for_the_wait(fake_sleep: Any) -> None:
    call = Flaky(throttled(7.0))
    assert await call_with_retries(policy(fake_sleep), call) == "ok"
    assert fake_sleep.delays == [7.0]


async def test_retry_after_beyond_the_allowance_surfaces_at_once(fake_sleep: Any) -> None:
    call = Flaky(throttled(120.0))
    with pytest.raises(ThrottledError) as caught:
        await call_with_retries(policy(fake_sleep), call)
    assert caught.value.retry_after == 120.0
    assert fake_sleep.delays == []


async def test_other_errors_are_not_retried(fake_sleep: Any) -> None:
    call = Flaky(InvalidClientError("bad", operation="token", status=401))
    with pytest.raises(InvalidClientError):
        await call_with_retries(policy(fake_sleep), call)
    assert call.calls == 1


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds
