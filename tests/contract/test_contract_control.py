"""The /__sim/ control endpoints, over HTTP and through SimControl."""

from __future__ import annotations

import hashlib
from urllib.error import URLError

import httpx
import pytest
from contract_seed import ONE, ONE_SECRET, SCOPES, SEED, TWO

from adobe_oauth_operator.sim import (
    RunningSimulator,
    SimControl,
    SimControlError,
    simulator_in_thread,
)


async def grant(api: httpx.AsyncClient) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": ONE.client_id,
        "client_secret": ONE_SECRET.reveal(),
        "scope": ",".join(SCOPES),
    }
    return await api.post("/ims/token/v3", data=form)


async def test_state_lists_hashes_and_counters(api: httpx.AsyncClient) -> None:
    await grant(api)
    state = (await api.get("/__sim/state")).json()
    assert list(state) == ["credentials", "requests", "rate"]
    one = state["credentials"][0]
    assert list(one) == ["org_id", "credential_id", "client_id", "secrets"]
    (secret,) = one["secrets"]
    assert list(secret) == ["uuid", "created_at", "last_used_at", "value_sha256"]
    assert secret["value_sha256"] == hashlib.sha256(ONE_SECRET.reveal().encode()).hexdigest()
    assert isinstance(secret["created_at"], int) and isinstance(secret["last_used_at"], int)
    assert state["requests"] == {"token": {"200": 1}, "list": {}, "add": {}, "delete": {}}
    assert state["rate"] == {"peak_1s": 1, "peak_10s": 1}
    assert ONE_SECRET.reveal() not in str(state)


async def test_use_moves_last_used(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    await api.post("/__sim/clock", json={"advance_s": 10})
    body = {"client_id": ONE.client_id, "client_secret": ONE_SECRET.reveal()}
    response = await api.post("/__sim/use", json=body)
    assert response.json() == {"uuid": sim.state.credentials[0].secrets[0].uuid}
    secret = sim.state.credentials[0].secrets[0]
    assert secret.last_used_at is not None
    assert secret.created_at + 10_000 <= secret.last_used_at <= sim.state.clock.now_ms()
    assert sim.state.requests["token"] == {}  # a use is not a grant
    wrong = await api.post("/__sim/use", json={**body, "client_secret": "nope"})
    assert wrong.status_code == 404


async def test_clock_moves_forward_only(api: httpx.AsyncClient) -> None:
    before = (await api.get("/__sim/clock")).json()["now_ms"]
    after = (await api.post("/__sim/clock", json={"advance_s": 3600})).json()["now_ms"]
    assert after - before >= 3_600_000
    assert (await api.post("/__sim/clock", json={"advance_s": -1})).status_code == 400


async def test_reset_restores_the_start(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    start = (await api.get("/__sim/state")).json()
    await grant(api)
    await api.post("/__sim/faults", json={"endpoint": "list", "status": 500})
    assert (await api.post("/__sim/reset")).status_code == 204
    assert (await api.get("/__sim/state")).json() == start
    assert (await api.get("/__sim/faults")).json()["pending"]["list"] == 0
    assert sim.state.tokens == {}


async def test_faults_are_validated_listed_and_cleared(api: httpx.AsyncClient) -> None:
    bad = await api.post("/__sim/faults", json={"endpoint": "nope", "status": 500})
    assert bad.status_code == 400
    assert bad.json()["error"] == "bad_request"
    assert (await api.post("/__sim/faults", content=b"{not json")).status_code == 400
    ok = await api.post("/__sim/faults", json={"endpoint": "add", "status": 503, "count": 3})
    assert ok.json()["pending"] == {"token": 0, "list": 0, "add": 3, "delete": 0}
    assert (await api.delete("/__sim/faults")).status_code == 204
    assert (await api.get("/__sim/faults")).json()["pending"]["add"] == 0


async def test_a_fault_for_one_credential_fails_only_its_calls(api: httpx.AsyncClient) -> None:
    """A token request is matched by its client id, a secrets call by the credential in its path;
    the fault stays pending for that credential until cleared (here: by credential)."""
    held = {"endpoint": "token", "status": 503, "count": 9, "credential_id": TWO.credential_id}
    assert (await api.post("/__sim/faults", json=held)).status_code == 200
    assert (await grant(api)).status_code == 200  # ONE's grant passes the fault by
    form = {"grant_type": "client_credentials", "client_id": TWO.client_id, "scope": "openid"}
    refused = await api.post("/ims/token/v3", data={**form, "client_secret": "irrelevant"})
    assert refused.status_code == 503
    assert (await api.get("/__sim/faults")).json()["pending"]["token"] == 8
    cleared = await api.delete("/__sim/faults", params={"credential_id": TWO.credential_id})
    assert cleared.status_code == 204
    assert (await api.get("/__sim/faults")).json()["pending"]["token"] == 0


async def test_credentials_can_be_added_at_runtime(api: httpx.AsyncClient) -> None:
    body = {"org_id": "7", "credential_id": "8", "client_id": "client-new", "secrets": ["p8e-new"]}
    created = await api.post("/__sim/credentials", json=body)
    assert created.status_code == 201
    assert created.json()["client_id"] == "client-new"
    assert len(created.json()["secrets"]) == 1
    assert (await api.post("/__sim/credentials", json=body)).status_code == 409
    refused = await api.post("/__sim/credentials", json={**body, "client_id": ""})
    assert refused.status_code == 400


def test_sim_control_drives_a_simulator_in_a_thread() -> None:
    with simulator_in_thread(seed=SEED) as sim:
        control = SimControl(sim.url)
        uuid = control.use(ONE.client_id, ONE_SECRET.reveal())
        assert control.state()["credentials"][0]["secrets"][0]["uuid"] == uuid
        assert control.fault("list", 500, count=2) == {"token": 0, "list": 2, "add": 0, "delete": 0}
        control.clear_faults()
        before = control.advance_clock(0)
        assert control.advance_clock(60) - before >= 60_000
        created = control.add_credential("7", "8", "client-new", ["p8e-new"], scopes=["AdobeID"])
        assert created["credential_id"] == "8"
        assert control.requests("token") == {}
        assert control.request_log() == []
        control.fault("list", 503)
        assert httpx.get(f"{sim.url}{LIST_PATH}", timeout=10).status_code == 503
        at = control.advance_clock(0)
        [logged] = control.request_log("list", since_ms=at - 60_000, until_ms=at + 1)
        assert logged["status"] == "503" and at - 60_000 <= logged["at_ms"] <= at
        assert control.request_log("token") == []
        assert control.request_log("list", since_ms=at + 1) == []
        with pytest.raises(SimControlError) as refused:
            control.request_log("refresh")
        assert refused.value.status == 400
        control.reset()
        assert len(control.state()["credentials"]) == 3
        with pytest.raises(SimControlError) as caught:
            control.use(ONE.client_id, "wrong")
        assert caught.value.status == 404
    with pytest.raises(URLError):  # stopped: nothing listens any more
        SimControl(sim.url, timeout=5).state()


LIST_PATH = f"/console/organizations/{ONE.org_id}/credentials/{ONE.credential_id}/secrets"


def test_a_bad_seed_fails_the_thread_start() -> None:
    with (
        pytest.raises(ValueError, match="duplicate"),
        simulator_in_thread(seed={"credentials": [SEED["credentials"][0]] * 2}),
    ):
        pass


async def test_the_request_log_counts_within_a_span(api: httpx.AsyncClient) -> None:
    await grant(api)
    logged = (await api.get("/__sim/requests", params={"endpoint": "token"})).json()
    assert logged["count"] == 1 and logged["requests"][0]["status"] == "200"
    at = logged["requests"][0]["at_ms"]
    later = (await api.get("/__sim/requests", params={"since_ms": at + 1})).json()
    assert later == {"count": 0, "requests": []}
    assert (await api.get("/__sim/requests", params={"since_ms": "soon"})).status_code == 400
