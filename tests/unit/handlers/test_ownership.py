"""Who holds what, as the index of all resources shows it: the checks CheckClaims runs after
the app Secret's annotation (the annotation itself is tested on the API server, e2e)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.handlers import ownership
from adobe_oauth_operator.handlers.ownership import ClaimEntry, ClaimsView, IndexKey, Me
from adobe_oauth_operator.kube.claims import Claimant
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.claims import wanted
from adobe_oauth_operator.rotation.model import AccessTokenSpec, Spec, Status
from adobe_oauth_operator.rotation.reasons import Reason

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SPEC = Spec(org_id="1", credential_id="2", secret_name="creds")


def status_of(spec: Spec, since: datetime, confirmed: bool) -> dict[str, object]:
    claim = replace(wanted(spec, since), confirmed=confirmed)
    return Status(claim=claim).to_dict()


def view_of(*resources: tuple[str, str, str, Spec, dict[str, object]]) -> ClaimsView:
    """The index kopf would build from these (namespace, name, uid, spec, status)."""
    index: dict[IndexKey, list[ClaimEntry]] = defaultdict(list)
    for namespace, name, uid, spec, status in resources:
        raw_spec = {"secretName": spec.secret_name}
        for key, entry in ownership.index_entries(namespace, name, uid, raw_spec, status).items():
            index[key].append(entry)
    view = ClaimsView()
    view.bind(index)
    return view


ME = Me("ns", "second", "u2", SPEC)
MINE = ("ns", "second", "u2", SPEC, status_of(SPEC, T0, confirmed=False))


def credential_check(view: ClaimsView, me: Me = ME, since: datetime = T0) -> m.ClaimsChecked:
    return ownership._credential(view, me, since)


def test_own_claim_not_yet_in_the_index_is_not_decided_on() -> None:
    assert credential_check(view_of()).outcome is m.ClaimOutcome.NOT_VISIBLE
    older = ("ns", "second", "u2", SPEC, status_of(SPEC, T0 - timedelta(seconds=9), False))
    assert credential_check(view_of(older)).outcome is m.ClaimOutcome.NOT_VISIBLE


@pytest.mark.parametrize(
    ("other", "outcome", "reason"),
    [
        pytest.param(None, m.ClaimOutcome.HELD, None, id="alone"),
        pytest.param(
            ("other-ns", "first", "u1", SPEC, status_of(SPEC, T0, True)),
            m.ClaimOutcome.REFUSED,
            Reason.CREDENTIAL_CLAIMED,
            id="held in another namespace",
        ),
        pytest.param(
            ("other-ns", "first", "u1", SPEC, status_of(SPEC, T0, False)),
            m.ClaimOutcome.CONTENDED,
            None,
            id="asked for at the same time",
        ),
        pytest.param(
            (
                "ns",
                "first",
                "u1",
                replace(SPEC, credential_id="3"),
                status_of(replace(SPEC, credential_id="3"), T0, True),
            ),
            m.ClaimOutcome.HELD,
            None,
            id="another credential of the same org",
        ),
        pytest.param(
            ("ns", "first", "u1", SPEC, {}),
            m.ClaimOutcome.HELD,
            None,
            id="named in a spec but claimed by nobody (e.g. Stalled waiting)",
        ),
    ],
)
def test_one_credential_one_owner(
    other: tuple[str, str, str, Spec, dict[str, object]] | None,
    outcome: m.ClaimOutcome,
    reason: Reason | None,
) -> None:
    view = view_of(MINE, *([other] if other else []))
    found = credential_check(view)
    assert (found.outcome, found.reason) == (outcome, reason)
    if reason is not None:
        assert "other-ns/first (uid u1)" in found.message


TOKEN = AccessTokenSpec("token")


@pytest.mark.parametrize(
    ("mine", "other", "field", "what"),
    [
        pytest.param(
            replace(SPEC, secret_name="first-pending"),
            SPEC,
            "spec.secretName",
            "pending Secret",
            id="app Secret = another's pending",
        ),
        pytest.param(
            replace(SPEC, secret_name="first-known-good"),
            SPEC,
            "spec.secretName",
            "known-good copy",
            id="app Secret = another's known-good",
        ),
        pytest.param(
            replace(SPEC, access_token=AccessTokenSpec("first-pending")),
            SPEC,
            "spec.accessToken.secretName",
            "pending Secret",
            id="token Secret = another's pending",
        ),
        pytest.param(
            replace(SPEC, access_token=AccessTokenSpec("other-creds")),
            replace(SPEC, secret_name="other-creds"),
            "spec.accessToken.secretName",
            "application Secret",
            id="token Secret = another's app Secret",
        ),
        pytest.param(
            replace(SPEC, access_token=TOKEN),
            replace(SPEC, secret_name="x", access_token=TOKEN),
            "spec.accessToken.secretName",
            "access token Secret",
            id="token Secret = another's token Secret",
        ),
        pytest.param(
            replace(SPEC, secret_name="token"),
            replace(SPEC, secret_name="x", access_token=TOKEN),
            "spec.secretName",
            "access token Secret",
            id="app Secret = another's token Secret",
        ),
    ],
)
def test_names_the_operator_derives_for_another_resource_are_refused(
    mine: Spec, other: Spec, field: str, what: str
) -> None:
    view = view_of(("ns", "first", "u1", other, status_of(other, T0, True)))
    text = ownership._reserved_name(view, replace(ME, spec=mine))
    assert text is not None
    assert text.startswith(f"{field} ") and what in text and "ns/first" in text


def test_names_are_reserved_per_namespace_and_not_against_itself() -> None:
    mine = replace(
        SPEC, secret_name="first-pending", access_token=AccessTokenSpec("second-pending")
    )
    other_ns = view_of(("elsewhere", "first", "u1", SPEC, status_of(SPEC, T0, True)))
    assert ownership._reserved_name(other_ns, replace(ME, spec=mine)) is None
    itself = view_of(("ns", "second", "u2", mine, status_of(mine, T0, True)))
    assert ownership._reserved_name(itself, replace(ME, spec=mine)) is None


def test_a_token_name_another_only_asks_for_is_not_reserved_yet() -> None:
    """The first to hold it keeps it; two asking at once meet at the Secret's ownerReference."""
    other = replace(SPEC, secret_name="x", access_token=TOKEN)
    view = view_of(("ns", "first", "u1", other, status_of(other, T0, False)))
    assert (
        ownership._reserved_name(view, replace(ME, spec=replace(SPEC, access_token=TOKEN))) is None
    )


async def test_without_the_index_nothing_is_claimed() -> None:
    found = await ownership.check_claims(None, ClaimsView(), ME, T0)  # type: ignore[arg-type]
    assert isinstance(found, m.ActionFailed) and found.kind is m.ErrorKind.TRANSIENT


async def test_a_check_waits_in_memory_for_its_own_claim_to_come_back_from_the_watch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index: dict[IndexKey, list[ClaimEntry]] = defaultdict(list)
    view = ClaimsView()
    view.bind(index)

    async def watch_delivers() -> None:
        await asyncio.sleep(0.1)
        spec, status = {"secretName": SPEC.secret_name}, status_of(SPEC, T0, False)
        for key, entry in ownership.index_entries("ns", "second", "u2", spec, status).items():
            index[key].append(entry)

    delivery = asyncio.create_task(watch_delivers())
    assert await ownership._visible(view, ME, T0)
    await delivery
    monkeypatch.setattr(ownership, "VISIBLE_WAIT", timedelta(milliseconds=120))
    assert not await ownership._visible(view, ME, T0 + timedelta(seconds=1)), "bounded"


def test_a_secret_held_in_another_claim_is_refused_even_without_its_annotation() -> None:
    """A Secret recreated without the owner annotation is still held: status says so."""
    held = view_of(MINE, ("ns", "first", "u1", SPEC, status_of(SPEC, T0, True)))
    assert ownership._secret_holder(held, ME) == Claimant("ns", "first", "u1")
    asked = view_of(MINE, ("ns", "first", "u1", SPEC, status_of(SPEC, T0, False)))
    assert ownership._secret_holder(asked, ME) is None, "an unconfirmed claim holds nothing yet"
    renamed = replace(SPEC, secret_name="other")
    elsewhere = view_of(MINE, ("ns", "first", "u1", renamed, status_of(renamed, T0, True)))
    assert ownership._secret_holder(elsewhere, ME) is None
