"""The chart's PrometheusRule: promtool accepts the rendered rules, and each alert fires from
synthetic series (promtool test rules) with the labels and texts a person reads."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "adobe-oauth-operator"
HELM = REPO / ".tools" / "bin" / "helm"
OPERATIONS = REPO / "docs" / "operations.md"
RELEASE, NAMESPACE = "aoo", "monitoring"
JOB = "aoo-adobe-oauth-operator-metrics"  # the metrics Service's name: the ServiceMonitor's job
ALERTS = {
    "AdobeOAuthCredentialStalled",
    "AdobeOAuthRotationFailed",
    "AdobeOAuthRotationOverdue",
    "AdobeOAuthClientSecretTooOld",
    "AdobeOAuthAdobeErrors",
    "AdobeOAuthOperatorAbsent",
}
DAY = 86400


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        raise AssertionError("promtool is missing: run `make debs` (Debian package prometheus)")
    return path


def render(*sets: str) -> list[dict[str, Any]]:
    if not HELM.exists():
        raise AssertionError(f"{HELM} is missing: run hack/build-tools (make tools) first")
    args = [str(HELM), "template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    args += ["--kube-version", "1.36.3", "--set", "prometheusRule.enabled=true"]
    for value in sets:
        args += ["--set", value]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered PrometheusRule's groups, as the rule file promtool and Prometheus read."""
    [rule] = [d for d in render() if d["kind"] == "PrometheusRule"]
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    return path


def alerts(path: Path) -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(path.read_text())["groups"]
    return {r["alert"]: r for g in groups for r in g["rules"]}


def test_promtool_checks_the_rendered_rules(rules_file: Path) -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(rules_file)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_rules_are_off_by_default_and_take_their_labels() -> None:
    args = [str(HELM), "template", RELEASE, str(CHART), "--kube-version", "1.36.3"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    assert "PrometheusRule" not in out
    [rule] = [
        d
        for d in render("prometheusRule.labels.release=kps", "prometheusRule.alertLabels.team=x")
        if d["kind"] == "PrometheusRule"
    ]
    assert rule["metadata"]["labels"]["release"] == "kps"
    for group in rule["spec"]["groups"]:
        assert all(r["labels"]["team"] == "x" for r in group["rules"])


def test_every_alert_has_a_summary_a_description_and_a_runbook_section(rules_file: Path) -> None:
    found = alerts(rules_file)
    assert set(found) == ALERTS
    headings = {
        line.removeprefix("### ").strip().lower()
        for line in OPERATIONS.read_text().splitlines()
        if line.startswith("### ")
    }
    for name, rule in found.items():
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], name
        anchor = notes["runbook_url"].rpartition("#")[2]
        assert anchor == name.lower() and anchor in headings, (name, headings)
        if name != "AdobeOAuthOperatorAbsent" and name != "AdobeOAuthAdobeErrors":
            assert "$labels.namespace" in notes["description"], name
            assert "$labels.name" in notes["description"], name
        assert "reason" in notes["description"], name


def _series(metric: str, values: str, **labels: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{metric}{{{inner}}}", "values": values}


CRED = {"namespace": "team-a", "name": "app"}
OTHER = {"namespace": "team-a", "name": "other"}


def _annotations(rules_file: Path, alert: str, **values: str) -> dict[str, str]:
    """The alert's annotation templates filled in by hand: a second reading of the template."""
    out = {}
    for key, text in alerts(rules_file)[alert]["annotations"].items():
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        assert "{{" not in text or key == "description", (key, text)
        out[key] = text
    return out


def unit_tests(rules_file: Path) -> dict[str, Any]:
    """One promtool test group per alert: it fires when it should, and not for the neighbour."""
    stalled = [
        _series("adobe_oauth_credential_phase", "1x60", phase="Stalled", **CRED),
        _series(
            "adobe_oauth_credential_condition",
            "1x60",
            type="Stalled",
            reason="SecretMissing",
            **CRED,
        ),
        # Stalled without a Stalled condition still alerts, with an unknown reason.
        _series("adobe_oauth_credential_phase", "1x60", phase="Stalled", **OTHER),
        _series("adobe_oauth_credential_phase", "0x60", phase="Stalled", namespace="b", name="c"),
    ]
    failed = [
        _series("adobe_oauth_credential_phase", "0x3 1x10", phase="Failed", **CRED),
        _series(
            "adobe_oauth_credential_condition",
            "0x10",
            type="Ready",
            reason="VerificationFailed",
            **CRED,
        ),
        _series("adobe_oauth_credential_phase", "0x10", phase="Failed", **OTHER),
    ]
    overdue = [
        # time() starts at 0 in promtool: due 4000s before the epoch is more than 1h overdue.
        _series("adobe_oauth_credential_next_rotation_timestamp_seconds", "-4000x20", **CRED),
        _series("adobe_oauth_credential_next_rotation_timestamp_seconds", "0x20", **OTHER),
    ]
    old = [
        _series(
            "adobe_oauth_credential_secret_created_timestamp_seconds", f"-{91 * DAY}x30", **CRED
        ),
        _series(
            "adobe_oauth_credential_secret_created_timestamp_seconds", f"-{89 * DAY}x30", **OTHER
        ),
    ]
    errors = [
        _series("adobe_oauth_adobe_requests_total", "0+60x40", operation="token", code="error"),
        _series("adobe_oauth_adobe_requests_total", "0+600x40", operation="list", code="200"),
        _series("adobe_oauth_adobe_requests_total", "0+1x40", operation="add", code="500"),
    ]
    # Scraped but down from 6m on; a target of another release does not count.
    absent = [
        _series("up", "1x5 0x30", job=JOB, namespace=NAMESPACE),
        _series("up", "1x35", job="other", namespace=NAMESPACE),
    ]

    def case(series: list[dict[str, str]], alert: str, at: str, before: str, *expected: Any):
        return {
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": before, "alertname": alert, "exp_alerts": []},
                {"eval_time": at, "alertname": alert, "exp_alerts": list(expected)},
            ],
        }

    def fired(labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
        return {"exp_labels": labels, "exp_annotations": annotations}

    def cred_texts(alert: str, cred: dict[str, str], **more: str) -> dict[str, str]:
        return _annotations(
            rules_file,
            alert,
            **{
                "{{ $labels.namespace }}": cred["namespace"],
                "{{ $labels.name }}": cred["name"],
                **more,
            },
        )

    reason = '{{ or $labels.reason "unknown" }}'
    return {
        "rule_files": [str(rules_file)],
        "evaluation_interval": "1m",
        "tests": [
            case(
                stalled,
                "AdobeOAuthCredentialStalled",
                "35m",
                "25m",
                fired(
                    {
                        "alertname": "AdobeOAuthCredentialStalled",
                        "severity": "warning",
                        "phase": "Stalled",
                        "reason": "SecretMissing",
                        **CRED,
                    },
                    cred_texts("AdobeOAuthCredentialStalled", CRED, **{reason: "SecretMissing"}),
                ),
                fired(
                    {
                        "alertname": "AdobeOAuthCredentialStalled",
                        "severity": "warning",
                        "phase": "Stalled",
                        **OTHER,
                    },
                    cred_texts("AdobeOAuthCredentialStalled", OTHER, **{reason: "unknown"}),
                ),
            ),
            case(
                failed,
                "AdobeOAuthRotationFailed",
                "5m",
                "2m",
                fired(
                    {
                        "alertname": "AdobeOAuthRotationFailed",
                        "severity": "warning",
                        "phase": "Failed",
                        "reason": "VerificationFailed",
                        **CRED,
                    },
                    cred_texts("AdobeOAuthRotationFailed", CRED, **{reason: "VerificationFailed"}),
                ),
            ),
            case(
                overdue,
                "AdobeOAuthRotationOverdue",
                "10m",
                "2m",
                fired(
                    {"alertname": "AdobeOAuthRotationOverdue", "severity": "warning", **CRED},
                    cred_texts(
                        "AdobeOAuthRotationOverdue",
                        CRED,
                        **{"{{ $value | humanizeDuration }}": "1h 16m 40s"},
                    ),
                ),
            ),
            case(
                old,
                "AdobeOAuthClientSecretTooOld",
                "20m",
                "10m",
                fired(
                    {"alertname": "AdobeOAuthClientSecretTooOld", "severity": "warning", **CRED},
                    cred_texts(
                        "AdobeOAuthClientSecretTooOld",
                        CRED,
                        **{"{{ $value | humanizeDuration }}": "91d 0h 20m 0s"},
                    ),
                ),
            ),
            case(
                errors,
                "AdobeOAuthAdobeErrors",
                "25m",
                "5m",
                fired(
                    {
                        "alertname": "AdobeOAuthAdobeErrors",
                        "severity": "warning",
                        "operation": "token",
                        "code": "error",
                    },
                    _annotations(
                        rules_file,
                        "AdobeOAuthAdobeErrors",
                        **{
                            "{{ $labels.operation }}": "token",
                            "{{ $labels.code }}": "error",
                            "{{ $value | humanize }}": "1",
                        },
                    ),
                ),
            ),
            case(
                absent,
                "AdobeOAuthOperatorAbsent",
                "20m",
                "12m",
                fired(
                    {
                        "alertname": "AdobeOAuthOperatorAbsent",
                        "severity": "critical",
                        "job": JOB,
                        "namespace": NAMESPACE,
                    },
                    _annotations(rules_file, "AdobeOAuthOperatorAbsent"),
                ),
            ),
            # Never scraped at all (no Service, no ServiceMonitor): absent() fires.
            case(
                absent[1:],
                "AdobeOAuthOperatorAbsent",
                "11m",
                "9m",
                fired(
                    {
                        "alertname": "AdobeOAuthOperatorAbsent",
                        "severity": "critical",
                        "job": JOB,
                        "namespace": NAMESPACE,
                    },
                    _annotations(rules_file, "AdobeOAuthOperatorAbsent"),
                ),
            ),
        ],
    }


def test_each_alert_fires_from_synthetic_series(rules_file: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump(unit_tests(rules_file), width=1000))
    result = subprocess.run(
        [promtool(), "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS", result.stdout), result.stdout
