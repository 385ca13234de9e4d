"""Reading the emergency annotation: the documented "true", or the request's own value."""

from __future__ import annotations

import pytest

from adobe_oauth_operator.handlers.emergency import emergency_spent, is_emergency
from adobe_oauth_operator.names import EMERGENCY_ANNOTATION, ROTATE_ANNOTATION
from adobe_oauth_operator.rotation.model import Status


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "true"}, True),
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "True"}, True),
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "5"}, True),
        ({ROTATE_ANNOTATION: "6", EMERGENCY_ANNOTATION: "5"}, False),  # bound to an older request
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "false"}, False),
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: ""}, False),
        ({ROTATE_ANNOTATION: "5"}, False),
        ({}, False),
    ],
)
def test_is_emergency(annotations: dict[str, str], expected: bool) -> None:
    assert is_emergency(annotations) is expected


@pytest.mark.parametrize(
    ("annotations", "spent_on", "expected"),
    [
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "true"}, "5", True),
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "5"}, "5", True),
        # set before the request it is meant for: kept for that request
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "true"}, "4", False),
        ({ROTATE_ANNOTATION: "5", EMERGENCY_ANNOTATION: "true"}, None, False),
        ({ROTATE_ANNOTATION: "5"}, "5", False),
    ],
)
def test_emergency_is_removed_only_beside_the_request_it_was_spent_on(
    annotations: dict[str, str], spent_on: str | None, expected: bool
) -> None:
    assert emergency_spent(annotations, Status(last_emergency_request=spent_on)) is expected
