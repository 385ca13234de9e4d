"""Spec parsing and the status wire form."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from adobe_oauth_operator.rotation.durations import format_duration, parse_duration
from adobe_oauth_operator.rotation.model import (
    AccessTokenSpec,
    AccessTokenStatus,
    Phase,
    Rotation,
    Spec,
    Status,
    Step,
    Target,
    TargetProgress,
    TokenFailure,
    Trigger,
)
from adobe_oauth_operator.rotation.reasons import Reason

CRD_NAME = "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("720h", 720 * 3600),
        ("15m", 900),
        ("1h30m", 5400),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        ("0s", 0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "15 minutes", "m15", "1d", "1h 30m", "-5s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(seconds=5)) == "5s"


def test_spec_from_dict_applies_crd_defaults_and_clamps_check_interval() -> None:
    spec = Spec.from_dict(
        {
            "orgId": "1",
            "credentialId": "2",
            "secretName": "s",
            "rotation": {"interval": "48h", "checkInterval": "10ms", "onStillInUse": "Delete"},
            "rollout": {
                "targets": [
                    {"kind": "Deployment", "name": "b"},
                    {"kind": "Deployment", "name": "a"},
                ]
            },
        }
    )
    assert spec.interval == timedelta(hours=48)
    assert spec.check_interval == timedelta(seconds=1)
    assert spec.targets == (Target("Deployment", "a"), Target("Deployment", "b"))
    assert spec.client_secret_key == "ADOBE_CLIENT_SECRET"
    # One access-token lifetime, and three of them before onStillInUse applies.
    assert spec.drain_period == timedelta(hours=24)
    assert spec.max_wait == timedelta(hours=72)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"credentialId": "2", "secretName": "s"}, "orgId"),
        (
            {"orgId": "1", "credentialId": "2", "secretName": "s", "rotation": {"maxWait": "soon"}},
            "maxWait",
        ),
    ],
)
def test_spec_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Spec.from_dict(raw)


def test_status_round_trips_through_its_wire_form() -> None:
    t = datetime(2026, 11, 1, 12, 0, 0, 123000, tzinfo=UTC)
    status = Status(
        phase=Phase.ROTATING,
        current_secret_uuid="a",
        client_id="c",
        adopted_at=t,
        rotation=Rotation(
            "r",
            Step.ROLLOUT,
            Trigger.EMERGENCY,
            t,
            "a",
            "b",
            rollout_started_at=t,
            targets=(TargetProgress(Target("Deployment", "w"), True, False),),
        ),
    )
    wire = status.to_dict()
    assert wire["rotation"]["startedAt"] == "2026-11-01T12:00:00.123Z"
    assert Status.from_dict(wire) == status


def test_the_current_secrets_creation_time_round_trips_and_may_be_absent() -> None:
    t = datetime(2026, 11, 1, 12, 0, 0, 123000, tzinfo=UTC)
    rotation = Rotation("r", Step.VERIFY, Trigger.SCHEDULED, t, "a", "b", new_secret_created_at=t)
    status = Status(current_secret_uuid="a", current_secret_created_at=t, rotation=rotation)
    wire = status.to_dict()
    assert wire["currentSecretCreatedAt"] == "2026-11-01T12:00:00.123Z"
    assert wire["rotation"]["newSecretCreatedAt"] == "2026-11-01T12:00:00.123Z"
    assert Status.from_dict(wire) == status
    # A status written by an older operator has neither: both unknown, nothing else changes.
    del wire["currentSecretCreatedAt"], wire["rotation"]["newSecretCreatedAt"]
    old = Status.from_dict(wire)
    assert old.current_secret_created_at is None
    assert old.rotation is not None and old.rotation.new_secret_created_at is None
    assert old == Status(
        current_secret_uuid="a", rotation=replace(rotation, new_secret_created_at=None)
    )
    # Unknown is written as null: a merge patch removes a time that no longer applies.
    assert Status(current_secret_uuid="a").to_dict()["currentSecretCreatedAt"] is None


def test_every_status_and_rotation_field_is_in_the_crd_schema() -> None:
    """The API server prunes fields its schema lacks: such a field would never persist."""
    crd = yaml.safe_load((Path(__file__).resolve().parents[3] / "crds" / CRD_NAME).read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    t = datetime(2026, 11, 1, tzinfo=UTC)
    wire = Status(rotation=Rotation("r", Step.ADD, Trigger.SCHEDULED, t, "a")).to_dict()
    assert set(wire) <= set(schema["properties"])
    assert set(wire["rotation"]) <= set(schema["properties"]["rotation"]["properties"])
    created = schema["properties"]["currentSecretCreatedAt"]
    assert (created["type"], created["format"]) == ("string", "date-time")


def test_access_token_status_round_trips_and_never_holds_the_token() -> None:
    t = datetime(2026, 11, 1, 12, 0, 0, 123000, tzinfo=UTC)
    failure = TokenFailure(Reason.THROTTLED, "slow down", 2, t, t, expiry_reported=True)
    token = AccessTokenStatus("tok", "K", ("openid",), "u", t, t, t, "hmac", 3, failure, t, t)
    wire = Status(access_token=token).to_dict()
    assert set(wire["accessToken"]) == {
        "secretName",
        "key",
        "scopes",
        "secretUuid",
        "issuedAt",
        "expiresAt",
        "refreshAt",
        "tokenHmac",
        "refreshes",
        "failure",
        "expiredFrom",
        "expiredUntil",
        "readersStamp",
    }
    assert Status.from_dict(wire).access_token == token


def test_spec_access_token_defaults() -> None:
    raw = {"orgId": "1", "credentialId": "2", "secretName": "s", "scopes": ["openid"]}
    assert Spec.from_dict(raw).access_token is None
    spec = Spec.from_dict({**raw, "accessToken": {"secretName": "t"}})
    assert spec.access_token == AccessTokenSpec("t", "ADOBE_ACCESS_TOKEN", (), None, False)
    assert spec.token_scopes == ("openid",)
    spec = Spec.from_dict(
        {**raw, "accessToken": {"secretName": "t", "scopes": ["AdobeID"], "refreshBefore": "1h"}}
    )
    assert spec.token_scopes == ("AdobeID",)
    assert spec.access_token is not None
    assert spec.access_token.refresh_before == timedelta(hours=1)


IO_SET = [
    "AdobeID",
    "openid",
    "read_organizations",
    "additional_info.projectedProductContext",
    "additional_info.roles",
    "adobeio_api",
    "read_client_secret",
    "manage_client_secrets",
]
BASE = {"orgId": "1", "credentialId": "2", "secretName": "s", "scopes": IO_SET}


def test_a_vended_token_inherits_the_credential_scopes_without_secret_management() -> None:
    spec = Spec.from_dict({**BASE, "accessToken": {"secretName": "t"}}, name="c")
    assert spec.token_scopes == tuple(IO_SET[:6])
    assert spec.scopes == tuple(IO_SET)  # the operator's own calls keep the full set


def test_secret_management_scopes_are_left_out_whatever_their_case_without_the_opt_in() -> None:
    """Parsed without the admission check (name=None), the scopes still never reach a token."""
    raw = {
        **BASE,
        "accessToken": {"secretName": "t", "scopes": ["openid", "Manage_Client_Secrets"]},
    }
    assert Spec.from_dict(raw).token_scopes == ("openid",)


def test_the_opt_in_vends_the_credential_scopes_as_they_are() -> None:
    spec = Spec.from_dict(
        {**BASE, "accessToken": {"secretName": "t", "allowSecretManagement": True}}, name="c"
    )
    assert spec.access_token is not None and spec.access_token.allow_secret_management
    assert spec.token_scopes == tuple(IO_SET)
    explicit = {"secretName": "t", "allowSecretManagement": True, "scopes": ["read_client_secret"]}
    assert Spec.from_dict({**BASE, "accessToken": explicit}, name="c").token_scopes == (
        "read_client_secret",
    )


def test_allow_secret_management_must_be_true_not_truthy() -> None:
    raw = {**BASE, "accessToken": {"secretName": "t", "allowSecretManagement": "true"}}
    assert "manage_client_secrets" not in Spec.from_dict(raw).token_scopes


def test_absent_status_is_pending() -> None:
    assert Status.from_dict(None).phase is Phase.PENDING


def test_every_access_token_status_field_is_in_the_crd_schema() -> None:
    """The API server prunes fields its schema lacks: such a field would never persist."""
    crd = yaml.safe_load((Path(__file__).resolve().parents[3] / "crds" / CRD_NAME).read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    token_schema = schema["properties"]["accessToken"]["properties"]
    t = datetime(2026, 11, 1, tzinfo=UTC)
    failure = TokenFailure(Reason.THROTTLED, "m", 1, t, t)
    token = AccessTokenStatus("tok", "K", (), "u", t, t, t, "h", 1, failure, t, t, "s")
    wire = Status(access_token=token).to_dict()
    assert set(wire) <= set(schema["properties"])
    assert set(wire["accessToken"]) <= set(token_schema)
    assert set(wire["accessToken"]["failure"]) <= set(token_schema["failure"]["properties"])
