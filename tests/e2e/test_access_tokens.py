"""spec.accessToken: the operator vends IMS access tokens into a Secret it owns and keeps fresh.

The simulator issues short-lived tokens (--token-ttl), so refreshes happen within a test; an
emulated application keeps calling Adobe with whatever the token Secret holds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from adobe_oauth_operator.names import (
    GROUP,
    HMAC_SECRET_KEY,
    HMAC_SECRET_NAME,
    PLURAL,
    VERSION,
)
from adobe_oauth_operator.sensitive import Sensitive, secret_fingerprint
from support import workloads
from support.operator_env import Env, condition
from support.token_apps import TokenReader
from support.waiting import wait_until

TOKEN = {"secretName": "adobe-token"}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _token_status(env: Env) -> dict[str, object]:
    return dict(env.status().get("accessToken") or {})


def _wait_refreshes(env: Env, count: int, timeout: float) -> dict[str, object]:
    return wait_until(
        lambda: (t := _token_status(env)).get("refreshes", 0) >= count and t,  # type: ignore[operator]
        timeout=timeout,
        what=f"{count} vended token(s)",
    )


REFRESH = "adobe-oauth-operator.dev/access-token-refresh"
ROTATION = "adobe-oauth-operator.dev/rotation-id"


def _add_token_readers(env: Env) -> None:
    """One Deployment reads the token Secret through envFrom, one mounts it as a volume."""
    for name, via in (("token-env", "envFrom"), ("token-file", "volume")):
        workloads.create(
            env.cluster,
            env.namespace,
            workloads.workload("Deployment", name, "adobe-token", replicas=1, via=via),
        )


def _template(env: Env, name: str) -> dict[str, str]:
    deploy = env.cluster.apps.read_namespaced_deployment(name, env.namespace)
    return dict(deploy.spec.template.metadata.annotations or {})


def _reader(env: Env) -> TokenReader:
    return TokenReader(env.cluster, env.namespace, env.sim, env.client_id)


def _assert_no_token_leak(env: Env, tokens: Iterable[str]) -> None:
    published = env.operator.logs() + repr(env.cluster.core.list_namespaced_event(env.namespace))
    published += repr(
        env.cluster.custom.list_namespaced_custom_object(GROUP, VERSION, env.namespace, PLURAL)
    )
    leaked = [t for t in tokens if t and t in published]
    assert not leaked, "an access token reached a log line, an event or the status"


@pytest.mark.sim_args("--token-ttl", "12")
def test_token_secret_is_created_on_adoption_and_refreshed_again_and_again(env: Env) -> None:
    _add_token_readers(env)
    env.apply_credential(accessToken={**TOKEN, "refreshBefore": "6s"})
    env.wait_adopted()
    first = _wait_refreshes(env, 1, timeout=30)
    secret = env.cluster.core.read_namespaced_secret("adobe-token", env.namespace)
    # Owned by the resource, labelled like the operator's other Secrets, token and expiry only.
    [owner] = secret.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid) == (
        "AdobeOAuthCredential",
        "creds",
        env.credential()["metadata"]["uid"],
    )
    assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "adobe-oauth-operator"
    assert secret.metadata.labels["adobe-oauth-operator.dev/access-token"] == "true"
    assert set(secret.data) == {"ADOBE_ACCESS_TOKEN", "ADOBE_ACCESS_TOKEN_EXPIRES_AT"}
    expires = base64.b64decode(secret.data["ADOBE_ACCESS_TOKEN_EXPIRES_AT"]).decode()
    assert expires.endswith("Z") and abs(_time(expires) - _time(str(first["expiresAt"]))) < (
        timedelta(seconds=1)
    )
    # The refresh point: 6s before expiry, up to a quarter of that earlier (jitter).
    refresh_left = _time(str(first["expiresAt"])) - _time(str(first["refreshAt"]))
    assert timedelta(seconds=6) <= refresh_left <= timedelta(seconds=7.5)
    assert first["secretUuid"] == env.status()["currentSecretUuid"]
    assert condition(env.status(), "TokenFresh")["status"] == "True"
    assert env.wait_events("TokenIssued")

    with _reader(env) as reader:
        grants_before, refreshes_before = env.sim.token_grants(), int(first["refreshes"])  # type: ignore[call-overload]
        _wait_refreshes(env, refreshes_before + 3, timeout=60)
        refreshes_low = int(_token_status(env)["refreshes"])  # type: ignore[call-overload]
        grants = env.sim.token_grants() - grants_before
        refreshes_high = int(_token_status(env)["refreshes"])  # type: ignore[call-overload]
    # One grant per refresh, none extra (the operator makes no other Adobe call while idle).
    assert refreshes_low - refreshes_before <= grants <= refreshes_high - refreshes_before
    assert reader.accepted > 0 and reader.refused == []
    assert len(reader.tokens) >= 3  # the reader saw the token change under it
    assert condition(env.status(), "TokenFresh")["status"] == "True"
    # Env readers are restarted after every refresh (their env never changes); file readers never.
    wait_until(
        lambda: _template(env, "token-env").get(REFRESH) == _token_status(env).get("readersStamp"),
        timeout=30,
        what="the env reader restarted for the latest refresh",
    )
    assert REFRESH not in _template(env, "token-file")
    assert ROTATION not in _template(env, "token-file")
    assert any("token-env" in e.message for e in env.wait_events("Restarted"))
    _assert_no_token_leak(env, reader.tokens)


@pytest.mark.sim_args("--token-ttl", "600")
def test_operator_restart_with_a_fresh_token_makes_no_extra_grant(env: Env) -> None:
    env.apply_credential(accessToken=TOKEN)
    env.wait_adopted()
    vended = _wait_refreshes(env, 1, timeout=30)
    env.operator.stop()
    grants = env.sim.token_grants()
    env.operator.start()
    # A spec change makes the restarted operator run a pass and record it (observedGeneration).
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, PLURAL, "creds", {"spec": {"rollout": {"timeout": "61s"}}}
    )
    generation = env.credential()["metadata"]["generation"]
    wait_until(
        lambda: env.status().get("observedGeneration") == generation,
        timeout=60,
        what="a pass of the restarted operator",
    )
    assert env.sim.token_grants() == grants
    assert _token_status(env)["tokenHmac"] == vended["tokenHmac"]
    assert _token_status(env)["refreshes"] == 1


@pytest.mark.sim_args("--token-ttl", "600")
def test_rotation_switches_vending_to_the_new_secret_without_a_refused_token(env: Env) -> None:
    env.apply_credential(accessToken=TOKEN)
    old_uuid = env.wait_adopted()["currentSecretUuid"]
    first = _wait_refreshes(env, 1, timeout=30)
    # The first token's env-reader restart (of no reader yet) is recorded before readers appear:
    # a reader created in between would rightly be restarted for that token too.
    issued = datetime.fromisoformat(str(first["issuedAt"]))
    wait_until(
        lambda: _token_status(env).get("readersStamp") == f"token-{issued:%Y%m%d-%H%M%S}",
        timeout=30,
        what="the first token's reader restart recorded",
    )
    _add_token_readers(env)
    with _reader(env) as reader:
        wait_until(lambda: reader.accepted > 0, timeout=10, what="the reader's first call")
        env.request_rotation()
        status = env.wait_rotations(1, timeout=120)
    # Not a single call with the Secret's token was refused while the old secret went away.
    assert reader.refused == [], reader.refused
    env.assert_clean_end_state(1)
    new_uuid = status["currentSecretUuid"]
    assert new_uuid != old_uuid
    token = status["accessToken"]
    assert token["secretUuid"] == new_uuid
    assert reader.accepted > 0
    assert reader.call(reader.read_token()) == 200
    [switched] = env.wait_events("TokenSwitched")
    assert old_uuid in switched.message and new_uuid in switched.message
    # Env readers of the token Secret were rolled with the rotation, once; the volume reader
    # needs no restart.
    rid = status["history"][0]["id"]
    assert _template(env, "token-env").get(ROTATION) == rid
    assert REFRESH not in _template(env, "token-env")
    assert ROTATION not in _template(env, "token-file")
    assert REFRESH not in _template(env, "token-file")
    _assert_no_token_leak(env, reader.tokens)


@pytest.mark.sim_args("--token-ttl", "12")
def test_an_ims_outage_longer_than_the_margin_is_visible_and_recovered(env: Env) -> None:
    env.apply_credential(accessToken={**TOKEN, "refreshBefore": "4s"})
    env.wait_adopted()
    first = _wait_refreshes(env, 1, timeout=30)
    env.sim.fault(endpoint="token", status=503, count=100000)
    expired = wait_until(
        lambda: (
            (t := _token_status(env)).get("failure")
            and _time(str(t["expiresAt"])) < datetime.now(UTC)
            and (t.get("failure") or {}).get("expiryReported")  # type: ignore[union-attr]
            and t
        ),
        timeout=60,
        what="the vended token expired while refreshes fail",
    )
    fresh = condition(env.status(), "TokenFresh")
    assert (fresh["status"], fresh["reason"]) == ("False", "TransientError")
    assert "EXPIRED" in fresh["message"]
    assert env.wait_events("TokenRefreshFailed")[0].type == "Warning"
    assert env.wait_events("TokenExpired")[0].type == "Warning"
    # The old token stayed in place: the Secret still holds the one vended before the outage.
    assert expired["tokenHmac"] == first["tokenHmac"]

    env.sim.call("DELETE", "/__sim/faults")
    recovered = wait_until(
        lambda: (t := _token_status(env)).get("expiredUntil") and not t.get("failure") and t,
        timeout=60,
        what="recovery",
    )
    assert recovered["expiredFrom"] == first["expiresAt"]
    assert _time(str(recovered["expiredUntil"])) > _time(str(recovered["expiredFrom"]))
    fresh = condition(env.status(), "TokenFresh")
    assert (fresh["status"], fresh["reason"]) == ("True", "TokenRecovered")
    [event] = env.wait_events("TokenRecovered")
    assert "held an expired token from" in event.message
    with _reader(env) as reader:
        wait_until(lambda: reader.accepted > 0, timeout=10, what="a call with the new token")
    assert reader.refused == []
    _assert_no_token_leak(env, reader.tokens)


@pytest.mark.sim_args("--token-ttl", "600")
def test_a_crash_right_after_vending_is_resumed_with_status_and_secret_agreeing(env: Env) -> None:
    env.operator.stop()
    env.operator.start({"AOO_CRASH_AFTER_ACTION": "VendToken"})
    env.apply_credential(accessToken=TOKEN)
    wait_until(env.operator.exited, timeout=60, what="the injected crash after VendToken")
    # The token was written, its record in status was not: the status still shows the action.
    assert (env.status().get("inFlight") or {}).get("action") == "VendToken"
    env.operator.start()
    vended = _wait_refreshes(env, 1, timeout=60)
    reader = _reader(env)
    token = reader.read_token()
    assert reader.call(token) == 200
    key = env.cluster.core.read_namespaced_secret(HMAC_SECRET_NAME, env.namespace)
    hmac_key = Sensitive(key.data[HMAC_SECRET_KEY])
    assert vended["tokenHmac"] == secret_fingerprint(hmac_key, "access-token", Sensitive(token))
    # The env readers' restart follows the vend; then nothing of ours runs any more.
    wait_until(lambda: not env.status().get("inFlight"), timeout=30, what="no action in flight")
    _assert_no_token_leak(env, [token])


MANAGEMENT = {"read_client_secret", "manage_client_secrets"}


@pytest.mark.sim_args("--token-ttl", "600")
def test_the_vended_token_calls_adobe_apis_but_cannot_manage_client_secrets(env: Env) -> None:
    env.apply_credential(accessToken=TOKEN)
    current = env.wait_adopted()["currentSecretUuid"]  # the operator's own list worked
    vended = _wait_refreshes(env, 1, timeout=30)
    assert MANAGEMENT.isdisjoint(vended["scopes"]), vended["scopes"]  # type: ignore[arg-type]
    reader = _reader(env)
    token = reader.read_token()
    before = env.adobe_secrets()
    requests_before = env.sim.state()["requests"]
    # Whoever reads the token Secret can neither add a secret of their own, nor delete the one in
    # use, nor even list them; the application's own API call with the same token works.
    assert reader.secrets_call(token, "POST") == 403
    assert reader.secrets_call(token, "DELETE", current) == 403
    assert reader.secrets_call(token, "GET") == 403
    assert reader.call(token) == 200
    assert env.adobe_secrets() == before
    requests = env.sim.state()["requests"]
    for endpoint in ("list", "add", "delete"):
        refused = requests[endpoint].get("403", 0) - requests_before[endpoint].get("403", 0)
        assert refused >= 1, (endpoint, requests)

    # The explicit opt-in vends, at once, a token with the credential's scopes: it may list.
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        env.namespace,
        PLURAL,
        "creds",
        {"spec": {"accessToken": {"allowSecretManagement": True}}},
    )
    opted = _wait_refreshes(env, 2, timeout=30)
    assert MANAGEMENT.issubset(opted["scopes"])  # type: ignore[arg-type]
    wait_until(lambda: reader.read_token() != token, timeout=30, what="the new token written")
    assert reader.secrets_call(reader.read_token(), "GET") == 200
    _assert_no_token_leak(env, [token, reader.read_token()])
