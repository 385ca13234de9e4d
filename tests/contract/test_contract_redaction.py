"""No secret value or access token appears in any log line, exception text or repr."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

import pytest
from contract_seed import (
    ALL_SEEDED,
    NO_IO,
    NO_IO_SECRET,
    ONE,
    ONE_SECRET,
    SCOPES,
    TWO,
    TWO_SECRET_A,
)

from adobe_oauth_operator.adobe import (
    AdobeClient,
    AdobeError,
    ClientSecretValue,
    CredentialRef,
)
from adobe_oauth_operator.sim import Fault, RunningSimulator

WRONG_SECRET = ClientSecretValue("p8e-wrong-secret-EEEEEEEEEEEEEEEEEEEE")


def texts_of(outcome: object) -> list[str]:
    """Everything a caller might print about a result or an exception, causes included."""
    texts = [str(outcome), repr(outcome), f"{outcome}"]
    if isinstance(outcome, BaseException):
        texts.append("".join(traceback.format_exception(outcome)))
        for linked in (outcome.__cause__, outcome.__context__):
            if linked is not None:
                texts.extend([str(linked), repr(linked)])
    if isinstance(outcome, list):
        texts.extend(repr(item) for item in outcome)
    return texts


def leaks(haystack: str, needles: list[str]) -> list[str]:
    return [n[:8] + "..." for n in needles if n in haystack]


async def run_calls(client: AdobeClient, sim: RunningSimulator) -> tuple[list[object], list[str]]:
    """A mix of succeeding and failing calls; returns their outcomes and the values added."""
    outcomes: list[object] = []

    async def record(call: Callable[[], Awaitable[object]]) -> object:
        try:
            outcome = await call()
        except AdobeError as error:
            outcome = error
        outcomes.append(outcome)
        return outcome

    missing = CredentialRef(ONE.org_id, "9999", ONE.client_id)
    await record(lambda: client.get_token(ONE, ONE_SECRET, SCOPES))
    await record(lambda: client.list_secrets(ONE, ONE_SECRET, SCOPES))
    added = await record(lambda: client.add_secret(ONE, ONE_SECRET, SCOPES))
    new_value = added.value  # type: ignore[attr-defined]
    old_uuid = sim.state.credentials[0].secrets[0].uuid
    await record(lambda: client.delete_secret(ONE, new_value, SCOPES, old_uuid))
    await record(lambda: client.list_secrets(ONE, ONE_SECRET, SCOPES))  # revoked: InvalidClient
    await record(lambda: client.get_token(ONE, WRONG_SECRET, SCOPES))
    await record(lambda: client.get_token(NO_IO, NO_IO_SECRET, SCOPES))
    await record(lambda: client.list_secrets(ONE, new_value, ["AdobeID", "read_client_secret"]))
    await record(lambda: client.list_secrets(missing, new_value, SCOPES))
    await record(lambda: client.delete_secret(TWO, TWO_SECRET_A, SCOPES, "f" * 32))
    await record(lambda: client.add_secret(TWO, TWO_SECRET_A, SCOPES))
    new_uuid = sim.state.credentials[0].secrets[-1].uuid
    await record(lambda: client.delete_secret(ONE, new_value, SCOPES, new_uuid))
    sim.faults.add("list", Fault(500))  # one attempt per call: the machine retries, not the client
    await record(lambda: client.list_secrets(TWO, TWO_SECRET_A, SCOPES))
    sim.faults.add("list", Fault(429, retry_after=3600))
    await record(lambda: client.list_secrets(TWO, TWO_SECRET_A, SCOPES))
    sim.faults.add("list", Fault(401), count=2)
    await record(lambda: client.list_secrets(TWO, TWO_SECRET_A, SCOPES))
    sim.faults.add("add", Fault(409))  # a refusal below the limit: unexpected, in either dialect
    await record(lambda: client.add_secret(ONE, new_value, SCOPES))
    sim.faults.add("add", Fault("drop", after_commit=True))
    await record(lambda: client.add_secret(ONE, new_value, SCOPES))
    return outcomes, [new_value.reveal()]


async def test_no_secret_or_token_in_logs_errors_or_reprs(
    make_client: Callable[..., AdobeClient],
    sim: RunningSimulator,
    issued_tokens: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    outcomes, added_values = await run_calls(client, sim)

    errors = [o for o in outcomes if isinstance(o, AdobeError)]
    assert {type(e).__name__ for e in errors} == {
        "InvalidClientError",
        "PermissionDeniedError",
        "CredentialNotFoundError",
        "SecretNotFoundError",
        "SecretLimitReachedError",
        "UnexpectedResponseError",
        "TransientError",
        "ThrottledError",
        "TokenRejectedError",
        "AddOutcomeUnknownError",
    }
    assert len(issued_tokens) >= 5
    assert any("adobe token" in r.getMessage() for r in caplog.records)

    needles = [s.reveal() for s in (*ALL_SEEDED, WRONG_SECRET)] + added_values + issued_tokens
    log_texts = [caplog.text] + [r.getMessage() for r in caplog.records]
    log_texts += [r.exc_text or "" for r in caplog.records]
    outcome_texts = [text for outcome in outcomes for text in texts_of(outcome)]
    haystack = "\n".join(log_texts + outcome_texts)
    assert leaks(f"a{needles[0]}b", needles), "the search itself must find a planted value"
    assert leaks(haystack, needles) == []
