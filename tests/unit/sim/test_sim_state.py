"""SimState: the documented rules of IMS and the secrets endpoints, and the strict choices."""

from __future__ import annotations

from typing import Any

import pytest
from sim_support import SECRET_A, START_MS

from adobe_oauth_operator.sim import CredentialSeed, SimError, SimState
from adobe_oauth_operator.sim.dialect import GUIDE, SPEC, Dialect
from adobe_oauth_operator.sim.model import IO_MANAGEMENT_SCOPES, sha256_hex

ALL_SCOPES = ",".join(IO_MANAGEMENT_SCOPES)


def grant(state: SimState, secret: str = SECRET_A, **overrides: str) -> dict[str, Any]:
    params = {
        "grant_type": "client_credentials",
        "client_id": "client-a",
        "client_secret": secret,
        "scope": ALL_SCOPES,
    }
    params.update(overrides)
    return state.grant_token(params)


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(SimError) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.error


def authorize(state: SimState, token: str, api_key: str = "client-a", cred: str = "222") -> Any:
    return state.authorize(f"Bearer {token}", api_key, "111", cred)


def test_grant_issues_a_bearer_token_and_marks_the_secret_used(state: SimState) -> None:
    answer = grant(state)
    assert answer == {"access_token": "token-1", "token_type": "bearer", "expires_in": 3600}
    assert state.credentials[0].secrets[0].last_used_at == START_MS


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_id": "unknown"}, 400, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"scope": ""}, 400, "invalid_scope"),
        ({"scope": "AdobeID,not_allowed"}, 400, "invalid_scope"),
    ],
)
def test_grant_refusals(
    state: SimState, overrides: dict[str, str], status: int, error: str
) -> None:
    assert refusal(grant, state, **overrides) == (status, error)
    assert state.credentials[0].secrets[0].last_used_at is None
    assert state.tokens == {}


def test_token_rate_throttles_per_client_with_retry_after(state: SimState) -> None:
    state.token_rate = 2
    grant(state)
    state.clock.advance(10)
    grant(state)
    with pytest.raises(SimError) as caught:
        grant(state)
    assert (caught.value.status, caught.value.retry_after) == (429, 50)
    state.clock.advance(50)
    assert grant(state)["access_token"] == "token-3"


def test_authorize_accepts_a_fresh_token_with_all_scopes(state: SimState) -> None:
    token = grant(state)["access_token"]
    assert authorize(state, token).client_id == "client-a"


@pytest.mark.parametrize(
    ("authorization", "api_key", "status"),
    [
        (None, "client-a", 401),
        ("Basic token-1", "client-a", 401),
        ("Bearer ", "client-a", 401),
        ("Bearer not-issued", "client-a", 401),
        ("Bearer token-1", None, 403),
        ("Bearer token-1", "client-b", 403),
    ],
)
def test_authorize_checks_token_then_api_key(
    state: SimState, authorization: str | None, api_key: str | None, status: int
) -> None:
    grant(state)
    assert refusal(state.authorize, authorization, api_key, "111", "222")[0] == status


def test_expired_tokens_are_refused(state: SimState) -> None:
    token = grant(state)["access_token"]
    state.clock.advance(3599.999)
    authorize(state, token)
    state.clock.advance(0.001)
    assert refusal(authorize, state, token) == (401, "invalid_token")


def test_a_token_without_the_io_management_scopes_is_forbidden(state: SimState) -> None:
    token = grant(state, scope="AdobeID,openid,read_client_secret")["access_token"]
    assert refusal(authorize, state, token) == (403, "insufficient_scope")


@pytest.mark.parametrize("missing", ["read_client_secret", "manage_client_secrets"])
def test_a_token_without_one_secret_scope_is_forbidden(state: SimState, missing: str) -> None:
    scope = ",".join(s for s in IO_MANAGEMENT_SCOPES if s != missing)
    token = grant(state, scope=scope)["access_token"]
    assert refusal(authorize, state, token) == (403, "insufficient_scope")
    with pytest.raises(SimError) as caught:
        authorize(state, token)
    assert missing in caught.value.description


def test_an_application_call_needs_a_valid_token_of_the_client_but_no_io_scope(
    state: SimState,
) -> None:
    token = grant(state, scope="AdobeID,openid")["access_token"]
    answer = state.application_call(f"Bearer {token}", "client-a")
    assert answer == {"client_id": "client-a", "scopes": ["AdobeID", "openid"]}
    assert refusal(state.application_call, f"Bearer {token}", "client-b")[0] == 403
    assert refusal(state.application_call, "Bearer not-a-token", "client-a")[0] == 401
    state.clock.advance(3600)
    assert refusal(state.application_call, f"Bearer {token}", "client-a")[0] == 401


def test_unknown_or_foreign_credentials_are_not_found(state: SimState) -> None:
    state.add_credential(CredentialSeed("111", "333", "client-b", ("p8e-b",)))
    token = grant(state)["access_token"]
    assert refusal(authorize, state, token, cred="999")[0] == 404
    assert refusal(authorize, state, token, cred="333")[0] == 404


def test_list_shows_metadata_never_values(state: SimState) -> None:
    listed = state.list_secrets(state.credentials[0])
    assert listed["client_id"] == "client-a"
    assert [s["uuid"] for s in listed["client_secrets"]] == [f"{1:032x}"]
    assert SECRET_A not in repr(listed)


def test_add_returns_the_value_and_stores_only_its_hash(state: SimState) -> None:
    state.clock.advance(1.5)
    added = state.add_secret(state.credentials[0])
    assert added["client_secret"] == "p8e-generated-1"
    stored = state.credentials[0].secrets[1]
    assert stored.created_at == START_MS + 1500
    assert stored.value_sha256 == sha256_hex("p8e-generated-1")
    assert "p8e-generated-1" not in repr(state.dump())


def test_spec_add_answers_exactly_the_descriptions_three_properties(state: SimState) -> None:
    state.dialect = SPEC
    added = state.add_secret(state.credentials[0])
    assert added == {
        "client_secret": "p8e-generated-1",
        "expires_at": "PERMANENT",
        "expires_at_str": "PERMANENT",
    }


def test_guide_add_answers_the_whole_secret_plus_its_value(state: SimState) -> None:
    state.dialect = GUIDE
    state.clock.advance(1.5)
    added = state.add_secret(state.credentials[0])
    new = state.credentials[0].secrets[1]
    assert added["client_secret"] == "p8e-generated-1"
    assert (added["uuid"], added["created_at"]) == (new.uuid, str(START_MS + 1500))
    assert added["secret_usages"] is None


@pytest.mark.parametrize(("dialect", "status"), [(SPEC, 403), (GUIDE, 400)])
def test_a_third_secret_is_refused(state: SimState, dialect: Dialect, status: int) -> None:
    state.dialect = dialect
    state.add_secret(state.credentials[0])
    assert refusal(state.add_secret, state.credentials[0]) == (status, "secret_limit_reached")
    assert len(state.credentials[0].secrets) == 2


def test_delete_unknown_uuid_is_not_found(state: SimState) -> None:
    state.add_secret(state.credentials[0])
    assert refusal(state.delete_secret, state.credentials[0], "f" * 32) == (404, "not_found")


@pytest.mark.parametrize(("dialect", "status"), [(SPEC, 403), (GUIDE, 400)])
def test_the_only_secret_cannot_be_deleted(state: SimState, dialect: Dialect, status: int) -> None:
    state.dialect = dialect
    uuid = state.credentials[0].secrets[0].uuid
    assert refusal(state.delete_secret, state.credentials[0], uuid) == (status, "last_secret")


def test_the_default_dialect_is_the_published_description() -> None:
    assert SimState().dialect is SPEC
    assert SimState(dialect="guide").dialect is GUIDE
    with pytest.raises(ValueError, match="unknown dialect"):
        SimState(dialect="swagger")


@pytest.mark.parametrize(("dialect", "unused"), [(SPEC, []), (GUIDE, None)])
def test_never_used_secrets_list_usages_per_dialect(
    state: SimState, dialect: Dialect, unused: list[object] | None
) -> None:
    state.dialect = dialect
    state.add_secret(state.credentials[0])
    listed = state.list_secrets(state.credentials[0])["client_secrets"]
    assert [s["secret_usages"] for s in listed] == [unused, unused]


def test_delete_revokes_the_tokens_made_with_that_secret(state: SimState) -> None:
    old_token = grant(state)["access_token"]
    new_value = state.add_secret(state.credentials[0])["client_secret"]
    new_token = grant(state, secret=new_value)["access_token"]
    state.delete_secret(state.credentials[0], state.credentials[0].secrets[0].uuid)
    assert refusal(authorize, state, old_token)[0] == 401
    assert authorize(state, new_token).client_id == "client-a"
    assert refusal(grant, state)[0] == 401


def test_record_use_moves_last_used(state: SimState) -> None:
    state.clock.advance(2)
    assert state.record_use("client-a", SECRET_A) == f"{1:032x}"
    assert state.credentials[0].secrets[0].last_used_at == START_MS + 2000
    assert refusal(state.record_use, "client-a", "wrong")[0] == 404


def test_the_clock_only_moves_forward(state: SimState) -> None:
    assert state.advance_clock(1) == START_MS + 1000
    with pytest.raises(ValueError, match="forward"):
        state.advance_clock(-1)


def test_snapshot_has_the_documented_shape(state: SimState) -> None:
    grant(state)
    state.count("token", "200")
    assert state.snapshot() == {
        "credentials": [
            {
                "org_id": "111",
                "credential_id": "222",
                "client_id": "client-a",
                "secrets": [
                    {
                        "uuid": f"{1:032x}",
                        "created_at": START_MS,
                        "last_used_at": START_MS,
                        "value_sha256": sha256_hex(SECRET_A),
                    }
                ],
            }
        ],
        "requests": {"token": {"200": 1}, "list": {}, "add": {}, "delete": {}},
        "rate": {"peak_1s": 1, "peak_10s": 1},
    }


def test_duplicate_credentials_are_refused(state: SimState) -> None:
    duplicate_client = CredentialSeed("1", "2", "client-a")
    duplicate_ids = CredentialSeed("111", "222", "client-z")
    assert refusal(state.add_credential, duplicate_client)[0] == 409
    assert refusal(state.add_credential, duplicate_ids)[0] == 409


def test_dump_and_load_round_trip(state: SimState) -> None:
    token = grant(state)["access_token"]
    state.add_secret(state.credentials[0])
    state.advance_clock(5)
    restored = SimState()
    restored.load(state.dump())
    assert restored.dump() == state.dump()
    assert restored.clock.offset_ms == 5000
    assert restored.tokens.keys() == {sha256_hex(token)}


def test_load_refuses_another_version(state: SimState) -> None:
    with pytest.raises(ValueError, match="version"):
        SimState().load({**state.dump(), "version": 99})


def test_reset_returns_to_the_initial_state(state: SimState) -> None:
    initial = state.dump()
    grant(state)
    state.add_secret(state.credentials[0])
    state.count("add", "201")
    state.reset()
    assert state.dump() == initial
    assert state.snapshot()["requests"] == {"token": {}, "list": {}, "add": {}, "delete": {}}
    assert state.logged_requests() == []


def test_the_request_log_has_each_answer_at_its_simulator_time(state: SimState) -> None:
    start = state.clock.now_ms()
    state.count("list", "500")
    state.advance_clock(60)
    state.count("list", "200")
    state.count("token", "drop")
    assert state.logged_requests() == [
        {"at_ms": start, "endpoint": "list", "status": "500"},
        {"at_ms": start + 60_000, "endpoint": "list", "status": "200"},
        {"at_ms": start + 60_000, "endpoint": "token", "status": "drop"},
    ]
    assert [r["status"] for r in state.logged_requests("list")] == ["500", "200"]
    first_minute = state.logged_requests(since_ms=start, until_ms=start + 60_000)
    assert [r["status"] for r in first_minute] == ["500"]
    assert [r["endpoint"] for r in state.logged_requests(since_ms=start + 1)] == ["list", "token"]


def test_changes_are_announced(state: SimState) -> None:
    changes: list[int] = []
    state.on_change = lambda: changes.append(1)
    grant(state)
    state.add_secret(state.credentials[0])
    state.list_secrets(state.credentials[0])
    assert len(changes) == 2


def test_last_used_moves_only_on_token_grants(state: SimState) -> None:
    """As Adobe's: a consumer that caches its token is seen only when it asks for a new one."""
    token = grant(state)["access_token"]
    state.clock.advance(3000)  # within the token's lifetime (3600s here)
    credential = authorize(state, token)
    state.list_secrets(credential)
    assert state.credentials[0].secrets[0].last_used_at == START_MS, "using a token is no use"
    grant(state)
    assert state.credentials[0].secrets[0].last_used_at == START_MS + 3000 * 1000
