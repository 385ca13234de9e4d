"""When an Argo Rollout counts as restarted and rolled out: what `kubectl argo rollouts status`
reports, plus that the restart the operator asked for has happened."""

from __future__ import annotations

from typing import Any

import pytest

from adobe_oauth_operator.kube.rollouts import argo_rollout_state

AT = "2026-11-01T12:00:00Z"
HEALTHY = {"phase": "Healthy", "availableReplicas": 2, "restartedAt": AT}


@pytest.mark.parametrize(
    ("spec", "status", "complete", "says"),
    [
        ({"restartAt": AT}, HEALTHY, True, "Healthy: 2 replicas available"),
        ({"restartAt": AT}, {**HEALTHY, "restartedAt": None}, False, "restarting its pods"),
        (
            {"restartAt": "2026-11-01T12:00:05Z"},
            HEALTHY,
            False,
            "restarting its pods",
        ),
        (
            {"restartAt": AT},
            {**HEALTHY, "phase": "Progressing", "message": "more replicas need to be updated"},
            False,
            "Progressing: more replicas need to be updated",
        ),
        (
            {"restartAt": AT},
            {**HEALTHY, "phase": "Paused", "message": "CanaryPauseStep"},
            False,
            "Paused: CanaryPauseStep (promote or resume it",
        ),
        (
            {"restartAt": AT},
            {**HEALTHY, "phase": "Degraded", "message": "ProgressDeadlineExceeded: too slow"},
            False,
            "Degraded: ProgressDeadlineExceeded",
        ),
        ({"restartAt": AT}, {**HEALTHY, "controllerPause": True}, False, "waiting to unpause"),
        ({"restartAt": AT}, {"restartedAt": AT}, False, "Progressing"),
    ],
    ids=[
        "restarted and healthy",
        "restart not done",
        "an older restart done",
        "progressing",
        "paused at a step",
        "degraded",
        "unpausing",
        "no phase yet",
    ],
)
def test_argo_rollout_state(
    spec: dict[str, Any], status: dict[str, Any], complete: bool, says: str
) -> None:
    state = argo_rollout_state("web", spec, status)
    assert state.complete is complete
    assert says in state.message
    assert state.message.startswith("Rollout web")
