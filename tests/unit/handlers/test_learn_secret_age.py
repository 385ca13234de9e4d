"""The one list a restarted operator makes for the secret age: only for a status an older operator
wrote (no currentSecretCreatedAt), and its result goes to the machine to record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from adobe_oauth_operator.handlers import reconcile
from adobe_oauth_operator.handlers.executor import Executor, Resource
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import (
    InFlight,
    Phase,
    Rotation,
    SecretMeta,
    Spec,
    Status,
    Step,
    Trigger,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CUR = "a" * 32
CREATED = T0 - timedelta(days=30)
LISTED = m.SecretsListed((SecretMeta(CUR, CREATED, None),))
LEGACY = Status(phase=Phase.READY, current_secret_uuid=CUR, client_id="cid", adopted_at=T0)


class _Listing:
    def __init__(self, answer: m.Message = LISTED) -> None:
        self.res = Resource("ns", "creds", "uid", Spec("1", "2", "creds"), "cid")
        self.answer = answer
        self.actions: list[m.Action] = []

    async def run(self, action: m.Action) -> m.Message:
        self.actions.append(action)
        return self.answer


def _deps(learn: bool = True) -> reconcile.Deps:
    deps = reconcile.Deps(
        adobe=cast(Any, None), kube=cast(Any, None), jitter=lambda: 0.25, learn_secret_age=learn
    )
    deps.metrics.index.track("ns", "creds")
    deps.metrics.index.set_status("ns", "creds", LEGACY)
    return deps


@pytest.mark.parametrize(
    ("status", "learn"),
    [
        (replace(LEGACY, current_secret_created_at=CREATED), True),
        (LEGACY, False),
        (Status(), True),
        (replace(LEGACY, rotation=Rotation("r", Step.DRAIN, Trigger.SCHEDULED, T0, CUR)), True),
        (replace(LEGACY, in_flight=InFlight(3, "VendToken", "other", T0)), True),
    ],
    ids=["in-status", "metrics-off", "not-adopted", "rotating", "action-in-flight"],
)
async def test_no_list_when_not_needed(status: Status, learn: bool) -> None:
    executor = _Listing()
    got = await reconcile._learn_secret_age(_deps(learn), cast(Executor, executor), status)
    assert got is None
    assert executor.actions == []


async def test_a_legacy_status_is_listed_once_and_the_list_handed_to_the_machine() -> None:
    deps, executor = _deps(), _Listing()
    got = await reconcile._learn_secret_age(deps, cast(Executor, executor), LEGACY)
    assert got == LISTED
    assert executor.actions == [m.ListSecrets(m.Using.APP_SECRET)]
    # Shown at once, even before (or without) the status write that records it.
    [(_, _, _, shown)] = deps.metrics.index.snapshot()
    assert shown == CREATED
    again = await reconcile._learn_secret_age(deps, cast(Executor, executor), LEGACY)
    assert again is None and len(executor.actions) == 1, "once per secret and process"


async def test_a_failed_list_is_not_handed_to_the_machine_nor_repeated() -> None:
    deps = _deps()
    executor = _Listing(m.ActionFailed(m.ErrorKind.THROTTLED, "slow down"))
    assert await reconcile._learn_secret_age(deps, cast(Executor, executor), LEGACY) is None
    assert await reconcile._learn_secret_age(deps, cast(Executor, executor), LEGACY) is None
    assert len(executor.actions) == 1


@pytest.mark.parametrize(
    ("a", "b", "sooner"),
    [
        (None, None, None),
        (None, timedelta(seconds=5), timedelta(seconds=5)),
        (timedelta(0), None, timedelta(0)),
        (timedelta(seconds=9), timedelta(seconds=5), timedelta(seconds=5)),
    ],
)
def test_the_pass_keeps_the_sooner_requeue(
    a: timedelta | None, b: timedelta | None, sooner: timedelta | None
) -> None:
    assert reconcile._sooner(a, b) == sooner
