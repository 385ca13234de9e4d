"""The operator's own check of the admission rules, as if the CRD's validation were removed."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from adobe_oauth_operator.rotation import validation as v
from adobe_oauth_operator.rotation.durations import (
    MAX_DURATION,
    InvalidDuration,
    parse_duration,
)
from adobe_oauth_operator.rotation.model import Spec
from support.admission_cases import (
    CLIENT_ID,
    MALFORMED,
    OTHER_CLIENT_ID,
    SECRET_LIKE,
    VALID,
    Case,
)

CRD_FILE = (
    Path(__file__).resolve().parents[3]
    / "crds"
    / "adobe-oauth-operator.dev_adobeoauthcredentials.yaml"
)


def test_the_table_is_large_enough() -> None:
    assert len(MALFORMED) >= 60
    assert len({c.id for c in MALFORMED + VALID}) == len(MALFORMED) + len(VALID)


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
def test_malformed_spec_is_rejected_with_the_crd_message(case: Case) -> None:
    problems = v.spec_problems(case.name, case.full_spec())
    assert any(case.expected in p for p in problems), problems
    with pytest.raises(ValueError, match=re.escape(case.expected)) as rejected:
        Spec.from_dict(case.full_spec(), name=case.name)
    for value in case.secret_values:
        assert value not in str(rejected.value)
        assert all(value not in p for p in problems)


@pytest.mark.parametrize("case", VALID, ids=[c.id for c in VALID])
def test_valid_edge_case_is_accepted(case: Case) -> None:
    assert v.spec_problems(case.name, case.full_spec()) == []
    Spec.from_dict(case.full_spec(), name=case.name)


def test_every_problem_is_reported_at_once() -> None:
    spec = {
        "orgId": "x",
        "credentialId": "1",
        "secretName": "a..b",
        "rotation": {"interval": "1ms", "maxWait": "100000000h"},
    }
    with pytest.raises(ValueError, match=re.escape(v.ORG_ID_MESSAGE)) as rejected:
        Spec.from_dict(spec, name="c")
    assert str(rejected.value).split("; ") == [
        v.ORG_ID_MESSAGE,
        v.SECRET_NAME_MESSAGE,
        v.INTERVAL.min_message,
        v.MAX_WAIT.max_message,
        v.INTERVAL_VS_DRAIN_MESSAGE,
    ]


def test_missing_required_fields_are_named() -> None:
    assert v.spec_problems("c", {}) == [
        "spec.orgId is required",
        "spec.credentialId is required",
        "spec.secretName is required",
    ]


def test_without_a_name_from_dict_parses_as_before() -> None:
    """Callers that do not pass the name keep the old leniency (e.g. checkInterval clamped)."""
    spec = Spec.from_dict(
        {
            "orgId": "1",
            "credentialId": "2",
            "secretName": "s",
            "rotation": {"checkInterval": "10ms"},
        }
    )
    assert spec.check_interval == timedelta(seconds=1)


def test_without_a_name_from_dict_still_refuses_durations_it_cannot_represent() -> None:
    raw = {
        "orgId": "1",
        "credentialId": "2",
        "secretName": "s",
        "rotation": {"maxWait": "9" * 30 + "h"},
    }
    with pytest.raises(ValueError, match="maxWait"):
        Spec.from_dict(raw)


def test_non_string_values_are_problems_not_crashes() -> None:
    spec: dict[str, Any] = {
        "orgId": 1,
        "credentialId": "2",
        "secretName": 3,
        "clientId": 4,
        "secretKeys": "nope",
        "rotation": {"interval": 60, "drainPeriod": None},
        "rollout": {"targets": ["web", {"kind": "Deployment"}]},
    }
    assert v.spec_problems("c", spec) == [
        v.ORG_ID_MESSAGE,
        v.CLIENT_ID_MESSAGE,
        v.SECRET_NAME_MESSAGE,
        v.INTERVAL.format_message,
        v.TARGET_NAME_MESSAGE,
    ]


# -- client ids ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", [CLIENT_ID, CLIENT_ID.upper(), "ABCDEF0123456789abcdef0123456789"]
)
def test_client_id_of_32_hex_characters_is_fine(value: str) -> None:
    assert v.client_id_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        SECRET_LIKE,
        "p8e-" + "a" * 28,
        OTHER_CLIENT_ID + "\n",
        " " + OTHER_CLIENT_ID[1:],
        OTHER_CLIENT_ID[:-1] + "z",
        OTHER_CLIENT_ID * 2,
        OTHER_CLIENT_ID[:16],
    ],
)
def test_client_id_problem_never_echoes_the_value(value: str) -> None:
    problem = v.client_id_problem(value)
    assert problem is not None
    assert "32 hexadecimal characters" in problem
    if value.strip():
        assert value.strip() not in problem


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


# -- the CRD carries the same rules ----------------------------------------------------------------
def _validations(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found += node.get("x-kubernetes-validations", [])
        for child in node.values():
            found += _validations(child)
    elif isinstance(node, list):
        for child in node:
            found += _validations(child)
    return found


def test_crd_rules_carry_exactly_the_operator_messages() -> None:
    for version in yaml.safe_load(CRD_FILE.read_text())["spec"]["versions"]:  # each served one
        rules = _validations(version)
        messages = [r["message"] for r in rules]
        assert sorted(messages) == sorted(v.MESSAGES), version["name"]
        assert all("messageExpression" not in r for r in rules)  # nothing echoes a value


def test_crd_rules_use_the_operator_regular_expressions() -> None:
    text = " ".join(r["rule"] for r in _validations(yaml.safe_load(CRD_FILE.read_text())))
    for pattern in (
        v.DURATION_FORMAT,
        v.DURATION_BOUNDED,
        v.DNS_SUBDOMAIN,
        v.SECRET_KEY,
        v.NUMERIC_ID,
        v.CLIENT_ID,
        v.TIME_OF_DAY,
    ):
        assert f"'{pattern}'" in text, pattern
    # Every quoted regular expression in the rules is one of them.
    quoted = {q for q in text.split("'")[1::2] if q.startswith("^")}
    assert quoted <= {
        v.DURATION_FORMAT,
        v.DURATION_BOUNDED,
        v.DNS_SUBDOMAIN,
        v.SECRET_KEY,
        v.NUMERIC_ID,
        v.CLIENT_ID,
        v.TIME_OF_DAY,
    }


def test_crd_duration_fields_are_bounded_for_cel() -> None:
    spec = yaml.safe_load(CRD_FILE.read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    props = spec["properties"]["spec"]["properties"]
    for f in v.DURATION_FIELDS:
        schema = props[f.section]["properties"][f.key]
        assert schema["maxLength"] == v.DURATION_MAX_LENGTH
        assert schema.get("default") == f.default
