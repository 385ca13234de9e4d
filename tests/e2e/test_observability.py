"""What a platform team sees of a rotation: the operator's metrics scraped by a real Prometheus
server and queried through its HTTP API, and the JSON log a log pipeline reads."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adobe_oauth_operator.names import GROUP, PLURAL, VERSION
from support.operator_env import Env
from support.prometheus import SCRAPE_JOB, PrometheusServer
from support.waiting import wait_until

OBSERVED = pytest.mark.operator_args("--metrics", "127.0.0.1:0", "--log-format", "json")
NAME = "creds"
# A run of URL-safe characters this long is token-shaped (IMS tokens, client secrets).
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_\-]{40,}")


def metrics_url(env: Env, start: int = 1) -> str:
    """Where the operator serves /metrics: it bound port 0 and logged the port it got."""
    pattern = re.compile(r"serving metrics on (http://[\d.]+:\d+/metrics)")

    def logged() -> str | None:
        this_start = env.operator.logs().split(f"--- start {start} ---")[-1]
        found = pattern.search(this_start)
        return found.group(1) if found else None

    return wait_until(logged, timeout=30, what="metrics address in the log")


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        text: str = answer.read().decode()
        return text


@pytest.fixture
def prometheus(env: Env, tmp_path: Path) -> Iterator[PrometheusServer]:
    target = metrics_url(env).removeprefix("http://").removesuffix("/metrics")
    server = PrometheusServer(tmp_path / "prometheus", target)
    try:
        yield server
    finally:
        server.stop()


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@OBSERVED
def test_prometheus_scrapes_a_rotation(env: Env, prometheus: PrometheusServer) -> None:
    env.add_deployment("web")
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_rotations(1)
    ns = env.namespace
    cred = f'namespace="{ns}",name="{NAME}"'

    def query_is(expr: str, expected: float) -> bool:
        return prometheus.value(expr) == expected

    wait_until(
        lambda: query_is(f'adobe_oauth_rotations_total{{{cred},result="Succeeded"}}', 1),
        timeout=30,
        what="the rotation counted in Prometheus",
    )
    assert prometheus.value(f'up{{job="{SCRAPE_JOB}"}}') == 1
    [entry] = status["history"]
    assert (
        prometheus.query(f"adobe_oauth_rotations_total{{{cred}}}")[0]["metric"]["trigger"]
        == (entry["reason"])
    )
    assert prometheus.value(f'adobe_oauth_credential_phase{{{cred},phase="Ready"}}') == 1
    assert prometheus.value(f"sum(adobe_oauth_credential_phase{{{cred}}})") == 1
    assert prometheus.value(f'adobe_oauth_credential_ready{{{cred},status="True"}}') == 1
    assert prometheus.value(f'adobe_oauth_credential_ready{{{cred},status="False"}}') == 0
    # The age comes from Adobe's list: the creation time of the secret the Secret holds now.
    [current] = env.adobe_secrets()
    assert current["uuid"] == status["currentSecretUuid"]
    created = prometheus.value(f"adobe_oauth_credential_secret_created_timestamp_seconds{{{cred}}}")
    assert created == pytest.approx(current["created_at"] / 1000, abs=0.001)  # epoch ms
    assert _timestamp(status["currentSecretCreatedAt"]) == pytest.approx(created, abs=0.001)
    assert prometheus.value(
        f"adobe_oauth_credential_last_rotation_timestamp_seconds{{{cred}}}"
    ) == pytest.approx(_timestamp(status["lastRotationTime"]), abs=0.01)
    # No schedule: no next rotation series; no drain running: no old-secret series.
    assert prometheus.query("adobe_oauth_credential_next_rotation_timestamp_seconds") == []
    assert prometheus.query("adobe_oauth_credential_old_secret_last_used_timestamp_seconds") == []
    assert prometheus.value(f'adobe_oauth_workload_restarts_total{{namespace="{ns}"}}') == 1
    assert prometheus.query("adobe_oauth_workload_restarts_total")[0]["metric"]["kind"] == (
        "Deployment"
    )
    # Every Adobe request the simulator answered was counted, by operation and status.
    for operation in ("token", "list", "add", "delete"):
        answered = env.sim.state()["requests"][operation]
        counted = {
            r["metric"]["code"]: float(r["value"][1])
            for r in prometheus.query(
                f'adobe_oauth_adobe_requests_total{{operation="{operation}"}}'
            )
        }
        assert counted, operation
        assert counted == {str(k): float(v) for k, v in answered.items()}, operation
        count = prometheus.value(
            f'adobe_oauth_adobe_request_duration_seconds_count{{operation="{operation}"}}'
        )
        assert count == sum(counted.values()), operation
    steps = {
        r["metric"]["step"]
        for r in prometheus.query("adobe_oauth_rotation_step_duration_seconds_count > 0")
    }
    assert {"Prepare", "Add", "Verify", "UpdateSecret", "Rollout", "Drain"} <= steps
    assert (
        prometheus.value(
            f'adobe_oauth_rotation_duration_seconds_count{{trigger="{entry["reason"]}"}}'
        )
        == 1
    )
    assert prometheus.query("adobe_oauth_reconcile_errors_total") == []
    [build] = prometheus.query("adobe_oauth_build_info")
    assert build["value"][1] == "1" and build["metric"]["version"]
    # A deleted resource leaves no series behind: the next scrape no longer has them, and
    # Prometheus marks them stale.
    text = scrape(metrics_url(env))
    (env.workdir / "scrape.txt").write_text(text)
    assert f'name="{NAME}"' in text
    env.cluster.custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, NAME)
    wait_until(
        lambda: f'name="{NAME}"' not in scrape(metrics_url(env)),
        timeout=30,
        what="the deleted credential's series gone from /metrics",
    )
    wait_until(
        lambda: prometheus.query(f"{{{cred}}}") == [],
        timeout=30,
        what="the deleted credential's series stale in Prometheus",
    )


def json_lines(log: str) -> list[dict[str, Any]]:
    """Every line the operator wrote, parsed; the harness's own start markers left out."""
    records = []
    for line in log.splitlines():
        if line.startswith("--- start "):
            continue
        record = json.loads(line)  # fails the test on any line that is not one JSON object
        assert isinstance(record, dict), line
        records.append(record)
    return records


@OBSERVED
def test_json_log_of_a_rotation(env: Env) -> None:
    env.add_deployment("web")
    env.apply_credential()
    env.wait_adopted()
    env.request_rotation()
    status = env.wait_rotations(1)
    env.wait_events("Rotated")
    [entry] = status["history"]
    log = env.operator.logs()
    records = json_lines(log)
    assert len(records) > 20
    for record in records:
        assert {"timestamp", "severity", "logger", "message"} <= record.keys(), record
    # Every line about the resource carries its namespace and name as fields.
    about = [
        r
        for r in records
        if f"{env.namespace}/{NAME}" in r["message"]
        or r["logger"].startswith(("adobe_oauth_operator.handlers", "adobe_oauth_operator.adobe"))
        or r["logger"] == "kopf.objects"  # kopf's per-object lines (--verbose)
        or r.get("rotation_id")
    ]
    assert len(about) > 10
    for record in about:
        assert (record.get("namespace"), record.get("name")) == (env.namespace, NAME), record
    # The rotation's lines carry its id and step; events and failures their reason.
    rotation = [r for r in records if r.get("rotation_id") == entry["id"]]
    assert {"Prepare", "Add", "Verify", "UpdateSecret", "Rollout", "Drain"} <= {
        r["step"] for r in rotation
    }
    reasons = {r.get("reason") for r in records}
    assert {"RotationStarted", "SecretAdded", "Rotated"} <= reasons
    # No secret value, no token: neither the values the test knows nor anything token-shaped.
    for value in (env.initial_value, env.app_secret_value()):
        assert value not in log
    assert "Bearer" not in log
    assert TOKEN_SHAPED.findall(log) == []


def adobe_requests(env: Env) -> dict[str, int]:
    """What the simulator answered so far, per endpoint (all status codes)."""
    return {e: sum(codes.values()) for e, codes in env.sim.state()["requests"].items()}


def wait_for_a_later_pass(env: Env) -> None:
    """Change the spec harmlessly and wait for the status write recording its generation: the
    pass running now (the first after a start) has ended, with whatever it asked Adobe."""
    generation = env.credential()["metadata"]["generation"]
    env.cluster.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        env.namespace,
        PLURAL,
        NAME,
        {"spec": {"rotation": {"checkInterval": "90s"}}},
    )
    wait_until(
        lambda: (env.status().get("observedGeneration") or 0) > generation,
        timeout=30,
        what="the next pass recording the new generation",
    )


@OBSERVED
def test_a_restarted_operator_shows_the_secret_age_without_calling_adobe(env: Env) -> None:
    env.apply_credential()
    status = env.wait_adopted()
    [current] = env.adobe_secrets()
    created = current["created_at"] / 1000  # epoch ms
    # Adoption records when Adobe created the secret: status carries the age across restarts.
    assert _timestamp(status["currentSecretCreatedAt"]) == pytest.approx(created, abs=0.001)

    def age_shown(start: int) -> bool:
        return secret_created(scrape(metrics_url(env, start)), env.namespace) == created

    wait_until(lambda: age_shown(1), timeout=30, what="the secret's creation time")
    before = adobe_requests(env)
    env.operator.stop()
    env.operator.start()
    wait_until(lambda: age_shown(2), timeout=30, what="the creation time after a restart")
    wait_for_a_later_pass(env)
    assert adobe_requests(env) == before, "a restart costs no Adobe request"


@OBSERVED
def test_a_status_without_the_creation_time_is_listed_once_and_then_records_it(
    env: Env,
) -> None:
    """Credentials adopted by an operator that did not record the creation time."""
    env.apply_credential()
    env.wait_adopted()
    [current] = env.adobe_secrets()
    created = current["created_at"] / 1000  # epoch ms
    env.operator.stop()
    env.cluster.custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        env.namespace,
        PLURAL,
        NAME,
        {"status": {"currentSecretCreatedAt": None}},
        _content_type="application/merge-patch+json",
    )
    assert "currentSecretCreatedAt" not in env.status()
    before = adobe_requests(env)
    env.operator.start()

    def recorded() -> float | None:
        text = env.status().get("currentSecretCreatedAt")
        return _timestamp(text) if text else None

    wait_until(lambda: recorded() is not None, timeout=30, what="the creation time in status")
    assert recorded() == pytest.approx(created, abs=0.001)
    wait_until(
        lambda: secret_created(scrape(metrics_url(env, 2)), env.namespace) == created,
        timeout=30,
        what="the creation time in the metrics",
    )
    wait_for_a_later_pass(env)
    spent = {e: n - before.get(e, 0) for e, n in adobe_requests(env).items()}
    # One list (and the token it needs: a new process has none cached), then never again.
    assert spent["list"] == 1
    assert spent["token"] <= 1
    assert all(n == 0 for e, n in spent.items() if e not in ("list", "token")), spent


def secret_created(text: str, namespace: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "adobe_oauth_credential_secret_created_timestamp_seconds" and (
                sample.labels == {"namespace": namespace, "name": NAME}
            ):
                return float(sample.value)
    return None
