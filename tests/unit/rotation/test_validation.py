"""The operator's own check of the admission rules, as if the CRD's validation were removed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adobe_oauth_operator.rotation.durations import (
    MAX_DURATION,
    InvalidDuration,
    parse_duration,
)


# -- durations -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "100000000h",
        "99999999999h",
        "9" * 400 + "h",
        "9" * 5000 + "ms",
        "1" + "0" * 12 + "ms",
        "87601h",
        "87600h1ms",
        "5256001m",
        "315360001s",
        "9999999h9999999h",
    ],
)
def test_parse_duration_rejects_what_it_cannot_or_should_not_represent(text: str) -> None:
    with pytest.raises(InvalidDuration, match="longer than 87600h"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("87600h", MAX_DURATION),
        ("5256000m", MAX_DURATION),
        ("315360000s", MAX_DURATION),
        ("87599h59m59.999999s", MAX_DURATION - timedelta(microseconds=1)),
        ("0s", timedelta(0)),
        ("0ms", timedelta(0)),
        ("0000000000000000000000000000001s", timedelta(seconds=1)),
        ("1." + "9" * 60 + "s", timedelta(seconds=1, microseconds=999999)),
    ],
)
def test_parse_duration_edges(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_message_does_not_repeat_a_huge_text() -> None:
    with pytest.raises(InvalidDuration) as rejected:
        parse_duration("9" * 100_000 + "h")
    assert len(str(rejected.value)) < 120
