"""A seeded fault soak: several credentials rotated over and over while faults are injected.

The engine behind `make soak` (hack/soak.py) and its short version in `make test`
(tests/e2e/test_soak.py). It lives in tests/support because it is test code built from the other
support modules (the simulator and operator processes, the application emulator, the local
cluster); hack/soak.py puts tests/ on sys.path to import it, as pytest does with `pythonpath`.

- The fault schedule (which fault, with which parameters, after which delay, in which order) is
  a pure function of the seed and the size settings: `build_schedule(config)`. A failing seed
  reproduces the same schedule (its sha256 is printed). The rotations requested in between depend
  on how fast the operator is, and are not part of the schedule.
- A watcher thread samples the world every `sample_s` and checks the invariants; the main thread
  checks them again after every step. Violations are recorded (deduplicated by kind, credential
  and detail), never raised: the soak always runs to the end and reports all of them.

Invariants (the numbers are used in the report):
  I1 at most 2 secrets in Adobe per credential;
  I2 the app Secret holds a secret Adobe holds, and the application emulator sees no errors;
  I3 status.rotation.addAttempts <= 3 and deleteAttempts <= 4; secrets created in Adobe per
     credential <= 3 x the rotations started for it; add calls in total <= 3 x rotations started;
  I4 Stalled or Failed comes with Ready=False and a reason and message; status.retry and a
     Degraded condition, when present, have their fields filled; an Adobe outage that the
     operator runs into while rotating is visible in status by the end of the outage;
  I5 no secret value (seeded or read from the Secrets) in operator logs, events or status;
  I6 after the faults stop, every credential converges within a bounded time: Ready, exactly
     one secret in Adobe, the Secret holds it, status agrees, no pending Secret.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import random
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException

from support import workloads
from support.apps import AppEmulator
from support.cluster import LOCAL_CLUSTER, LocalCluster, fresh_namespace
from support.dialects import DIALECTS
from support.operator_env import GROUP, PLURAL, VERSION
from support.processes import OperatorProcess, SimProcess, sha256
from support.waiting import ConditionTimeout, wait_until

ORG = "1234567"
SECRET_NAME = "adobe-creds"
CRED_NAME = "creds"
SECRET_KEY = "ADOBE_CLIENT_SECRET"
PENDING_LABEL = "adobe-oauth-operator.dev/pending"
ROTATE_ANNOTATION = "adobe-oauth-operator.dev/rotate"
ROTATION = {"drainPeriod": "2s", "checkInterval": "1s", "maxWait": "30s"}
ROLLOUT = {"timeout": "60s"}

MAX_SECRETS = 2
MAX_ADD_ATTEMPTS = 3
MAX_DELETE_ATTEMPTS = 4
ADDS_PER_ROTATION = 3
# Steps of a rotation that call Adobe (Rollout and UpdateSecret only talk to Kubernetes).
ADOBE_STEPS = frozenset({"Prepare", "Add", "Verify", "Drain", "DeleteOld"})

ADOBE_ENDPOINTS = ("token", "list", "add", "delete")
FAULT_KINDS = (
    "adobe_5xx",
    "adobe_429",
    "adobe_drop",
    "adobe_lost_after_commit",
    "adobe_down",
    "apiserver_restart",
    "operator_sigkill",
    "second_operator",  # an unpeered second operator process for a while: fencing at work
)
OPTIONAL_KINDS: tuple[str, ...] = ()
# Relative weights of the kinds drawn after each kind has appeared once.
WEIGHTS = {
    "adobe_5xx": 4,
    "adobe_429": 3,
    "adobe_drop": 3,
    "adobe_lost_after_commit": 4,
    "adobe_down": 1,
    "apiserver_restart": 1,
    "operator_sigkill": 2,
    "second_operator": 1,
}


# -- the schedule -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SoakConfig:
    seed: int
    steps: int | None = None  # how many faults; None: as many as fit in duration_s
    duration_s: float = 120.0  # planned fault-phase length when steps is None
    rotations: int | None = None  # stop early once this many rotations completed
    credentials: int = 3
    replicas: int = 1
    kinds: tuple[str, ...] = FAULT_KINDS
    min_delay_s: float = 2.0  # pause before each fault
    max_delay_s: float = 5.0
    down_s: float = 30.0  # length of an Adobe outage (every call answered 503)
    second_operator_s: tuple[float, float] = (10.0, 25.0)
    converge_timeout_s: float = 150.0
    sample_s: float = 0.5


@dataclass(frozen=True)
class Step:
    index: int
    delay_s: float  # pause before the fault
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def planned_s(self) -> float:
        """Roughly how long the step takes (for fitting a schedule into a duration)."""
        extra = {"apiserver_restart": 10.0, "operator_sigkill": 4.0}.get(self.kind, 0.0)
        return self.delay_s + float(self.params.get("duration_s", 0.0)) + extra


def build_schedule(config: SoakConfig) -> list[Step]:
    """The fault schedule: a pure function of the config (seed, sizes, kinds)."""
    unknown = set(config.kinds) - set(FAULT_KINDS) - set(OPTIONAL_KINDS)
    if unknown:
        raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
    rng = random.Random(config.seed)
    first = list(config.kinds)
    rng.shuffle(first)  # every kind once, in a seeded order, then weighted draws
    steps: list[Step] = []
    planned = 0.0
    while True:
        if config.steps is not None and len(steps) >= config.steps and not first:
            break
        if config.steps is None and planned >= config.duration_s and not first:
            break
        if first:
            kind = first.pop()
        else:
            kind = rng.choices(config.kinds, [WEIGHTS[k] for k in config.kinds])[0]
        delay = round(rng.uniform(config.min_delay_s, config.max_delay_s), 2)
        step = Step(len(steps), delay, kind, _params(rng, kind, config))
        steps.append(step)
        planned += step.planned_s()
    return steps


def _params(rng: random.Random, kind: str, config: SoakConfig) -> dict[str, Any]:
    if kind == "adobe_5xx":
        return {
            "endpoint": rng.choice(ADOBE_ENDPOINTS),
            "status": rng.choice([500, 502, 503, 504]),
            "count": rng.randint(1, 3),
        }
    if kind == "adobe_429":
        return {
            "endpoint": rng.choice(ADOBE_ENDPOINTS),
            "status": 429,
            "count": rng.randint(1, 2),
            "retry_after": rng.randint(1, 5),
        }
    if kind == "adobe_drop":
        return {"endpoint": rng.choice(ADOBE_ENDPOINTS), "status": "drop", "count": 1}
    if kind == "adobe_lost_after_commit":
        return {
            "endpoint": rng.choice(["add", "add", "delete", "token"]),
            "status": rng.choice(["drop", 500, 502]),
            "count": 1,
            "after_commit": True,
        }
    if kind == "adobe_down":
        return {"duration_s": config.down_s}
    if kind == "operator_sigkill":
        return {"restart_after_s": round(rng.uniform(0.2, 3.0), 2)}
    if kind == "second_operator":
        low, high = config.second_operator_s
        return {"duration_s": round(rng.uniform(low, high), 1)}
    return {}


def dialect_for(seed: int) -> str:
    """The simulator's dialect for a seed: alternating, so consecutive seeds cover both."""
    return DIALECTS[seed % len(DIALECTS)]


def schedule_digest(schedule: list[Step]) -> str:
    text = json.dumps([asdict(s) for s in schedule], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Violation:
    invariant: str
    credential: str
    detail: str
    first_at_s: float
    count: int = 1


@dataclass
class Tracked:
    """What the soak learned about one credential."""

    name: str
    namespace: str
    credential_id: str
    client_id: str
    initial_value: str
    initial_uuids: set[str] = field(default_factory=set)
    seen_uuids: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)
    succeeded: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # id: history message
    stalled: set[str] = field(default_factory=set)
    requested: str | None = None
    requests: int = 0
    max_add_attempts: int = 0
    max_delete_attempts: int = 0
    last_status: dict[str, Any] = field(default_factory=dict)
    emulator: AppEmulator | None = None
    emulator_errors_seen: int = 0


class Recorder:
    """Violations, deduplicated by (invariant, credential, detail); thread-safe."""

    def __init__(self, started: float, on_new: Callable[[Violation], None] | None = None) -> None:
        self.started = started
        self.on_new = on_new
        self.lock = threading.Lock()
        self.violations: dict[tuple[str, str, str], Violation] = {}

    def record(self, invariant: str, credential: str, detail: str, key: str | None = None) -> None:
        """`key` groups repeats whose detail varies (counts, uuids); the first detail is kept."""
        ident = (invariant, credential, key or detail)
        with self.lock:
            if ident in self.violations:
                self.violations[ident].count += 1
            else:
                at = round(time.monotonic() - self.started, 1)
                self.violations[ident] = violation = Violation(invariant, credential, detail, at)
                if self.on_new is not None:
                    self.on_new(violation)

    def as_list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(v) for v in sorted(self.violations.values(), key=lambda v: v.first_at_s)]


def kube_unavailable(exc: BaseException) -> bool:
    """The API server is down or restarting (on purpose): not the operator's or the app's fault."""
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError):
        return True
    if isinstance(exc, ApiException):
        return exc.status in (0, None, 429, 500, 502, 503, 504)
    return False


# -- the soak -----------------------------------------------------------------------------------
class Soak:
    def __init__(
        self,
        cluster: LocalCluster,
        workdir: Path,
        config: SoakConfig,
        log: Callable[[str], None] = print,
    ) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.config = config
        self.schedule = build_schedule(config)
        self.say = log
        self.started = time.monotonic()
        self.recorder = Recorder(
            self.started,
            lambda v: log(
                f"soak: VIOLATION {v.invariant} {v.credential} at {v.first_at_s}s: {v.detail}"
            ),
        )
        self.creds: list[Tracked] = []
        self.values: set[str] = set()  # every secret value seen: never to be published
        self.values_lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.unconsumed_faults = 0
        self.kube_unavailable = 0
        self.apiserver_restart_s: list[float] = []
        self.sim: SimProcess | None = None
        self.operator: OperatorProcess | None = None
        self.second: OperatorProcess | None = None
        self.log_offsets: dict[Path, int] = {}
        self.events_seen: set[tuple[str, str]] = set()
        self.initial_adds = 0
        self.phase = "setup"
        self.converge_s: float | None = None
        self.executed = 0  # steps of the schedule carried out
        self._stop = threading.Event()
        self._sample_lock = threading.Lock()
        self._rng_requests = random.Random(config.seed + 1)  # rotation requests, not faults

    # -- set-up and tear-down -------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self) -> Iterator[Soak]:
        with contextlib.ExitStack() as stack:
            namespaces = [
                stack.enter_context(fresh_namespace(self.cluster, prefix=f"soak{i}"))
                for i in range(self.config.credentials)
            ]
            seeds = []
            for i, ns in enumerate(namespaces):
                tracked = Tracked(
                    name=f"c{i}",
                    namespace=ns,
                    credential_id=f"76543{i:02d}",
                    client_id=secrets.token_hex(16),
                    initial_value=f"p8e-{secrets.token_urlsafe(24)}",
                )
                self.creds.append(tracked)
                self.values.add(tracked.initial_value)
                seeds.append(
                    {
                        "org_id": ORG,
                        "credential_id": tracked.credential_id,
                        "client_id": tracked.client_id,
                        "secrets": [tracked.initial_value],
                        "age_s": 7200,
                    }
                )
            self.sim = SimProcess(self.workdir, seeds, "--dialect", dialect_for(self.config.seed))
            stack.callback(self.sim.stop)
            for c in self.creds:
                self._create_world(c)
            extra = [arg for c in self.creds[1:] for arg in ("--namespace", c.namespace)]
            self.operator = OperatorProcess(
                self.workdir,
                self.cluster.kubeconfig,
                self.creds[0].namespace,
                self.sim.url,
                *extra,
            )
            stack.callback(self._stop_operators)
            stack.callback(self._delete_credentials)
            for c in self.creds:
                self._apply_credential(c)
            for c in self.creds:
                wait_until(
                    lambda c=c: (
                        (s := self._status(c)).get("currentSecretUuid")
                        and s.get("phase") == "Ready"
                    ),
                    timeout=90,
                    what=f"{c.name} adopted",
                )
            state = self.sim.state()
            self.initial_adds = sum(state["requests"]["add"].values())
            for c in self.creds:
                c.initial_uuids = {s["uuid"] for s in self._adobe(state, c)}
                c.seen_uuids = set(c.initial_uuids)
                c.emulator = AppEmulator(
                    self.cluster,
                    c.namespace,
                    SECRET_NAME,
                    self.sim,
                    c.client_id,
                    tolerate=kube_unavailable,
                )
                stack.enter_context(c.emulator)
            watcher = threading.Thread(target=self._watch, daemon=True)
            watcher.start()
            stack.callback(watcher.join, 10)
            stack.callback(self._stop.set)
            yield self

    def _create_world(self, c: Tracked) -> None:
        self.cluster.core.create_namespaced_secret(
            c.namespace,
            {
                "metadata": {"name": SECRET_NAME},
                "stringData": {"ADOBE_CLIENT_ID": c.client_id, SECRET_KEY: c.initial_value},
            },
        )
        manifest = workloads.workload(
            "Deployment", "app", SECRET_NAME, replicas=self.config.replicas
        )
        workloads.create(self.cluster, c.namespace, manifest)

    def _apply_credential(self, c: Tracked) -> None:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AdobeOAuthCredential",
            "metadata": {"name": CRED_NAME},
            "spec": {
                "orgId": ORG,
                "credentialId": c.credential_id,
                "secretName": SECRET_NAME,
                "rotation": dict(ROTATION),
                "rollout": dict(ROLLOUT),
            },
        }
        self.cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, c.namespace, PLURAL, body
        )

    def _delete_credentials(self) -> None:
        """Delete the resources while an operator runs, so it releases its finalizer."""
        if self.operator is not None and self.operator.exited():
            self.operator.start()
        for c in self.creds:
            with contextlib.suppress(Exception):
                self.cluster.custom.delete_collection_namespaced_custom_object(
                    GROUP, VERSION, c.namespace, PLURAL
                )
        with contextlib.suppress(ConditionTimeout):
            wait_until(
                lambda: (
                    not any(
                        self.cluster.custom.list_namespaced_custom_object(
                            GROUP, VERSION, c.namespace, PLURAL
                        )["items"]
                        for c in self.creds
                    )
                ),
                timeout=60,
                what="credentials deleted",
            )

    def _stop_operators(self) -> None:
        for process in (self.second, self.operator):
            if process is not None:
                process.stop()

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.say(
            f"soak: seed {self.config.seed}, {len(self.schedule)} faults "
            f"(schedule {schedule_digest(self.schedule)}), {len(self.creds)} credentials, "
            f"simulator dialect {dialect_for(self.config.seed)}"
        )
        self.phase = "faults"
        for step in self.schedule:
            if self._enough_rotations():
                break
            self._request_rotations()
            self._pause(step.delay_s)
            self._request_rotations()
            self.say(
                f"soak: step {step.index} at {self._elapsed():.0f}s: {step.kind} {step.params}"
            )
            self._inject(step)
            self.injected[step.kind] += 1
            self.executed = step.index + 1
            self.check()
        self.phase = "converge"
        self._end_faults()
        self._converge()
        self.phase = "done"
        self.check(final=True)
        self._dump()
        return self.report()

    def _dump(self) -> None:
        """The resources, events and simulator state at the end, for diagnosis (no values)."""
        assert self.sim is not None
        dump: dict[str, Any] = {"sim": self.sim.state(), "credentials": {}}
        for c in self.creds:
            events = self.cluster.core.list_namespaced_event(c.namespace).items
            dump["credentials"][c.name] = {
                "namespace": c.namespace,
                "resource": self._credential(c),
                "events": [
                    {"type": e.type, "reason": e.reason, "message": e.message, "count": e.count}
                    for e in sorted(events, key=lambda e: str(e.last_timestamp or ""))
                ],
            }
        (self.workdir / "soak-final.json").write_text(json.dumps(dump, indent=1, default=str))

    def _enough_rotations(self) -> bool:
        """With `rotations` set: that many completed and every kind of fault injected once."""
        wanted = self.config.rotations
        return (
            wanted is not None
            and sum(len(c.succeeded) for c in self.creds) >= wanted
            and set(self.injected) >= set(self.config.kinds)
        )

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _pause(self, seconds: float) -> None:
        """The schedule's own pacing; rotation requests keep flowing meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
            self._request_rotations()

    def _request_rotations(self) -> None:
        """Ask for a new rotation on every credential that is idle and took the last request."""
        if self.phase != "faults":
            return
        for c in self.creds:
            status = c.last_status
            if status.get("rotation") or status.get("lastRotateRequest") != c.requested:
                continue
            if not status.get("currentSecretUuid"):
                continue
            request = f"{self._rng_requests.getrandbits(32):08x}"
            try:
                self.cluster.custom.patch_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    c.namespace,
                    PLURAL,
                    CRED_NAME,
                    {"metadata": {"annotations": {ROTATE_ANNOTATION: request}}},
                    _request_timeout=5,
                )
            except Exception as exc:
                if not kube_unavailable(exc):
                    raise
                continue
            c.requested = request
            c.requests += 1
            c.last_status = {**status, "rotation": {"id": "(requested)"}}  # until sampled

    # -- faults ---------------------------------------------------------------------------------
    def _inject(self, step: Step) -> None:
        assert self.sim is not None and self.operator is not None
        p = step.params
        if step.kind.startswith("adobe_") and step.kind != "adobe_down":
            spec = {k: p[k] for k in ("endpoint", "status", "count") if k in p}
            if "retry_after" in p:
                spec["retry_after"] = p["retry_after"]
            if p.get("after_commit"):
                spec["after_commit"] = True
            self.sim.fault(**spec)
        elif step.kind == "adobe_down":
            self._adobe_down(float(p["duration_s"]))
        elif step.kind == "apiserver_restart":
            started = time.monotonic()
            state_dir = self.cluster.kubeconfig.parent
            out = subprocess.run(
                [str(LOCAL_CLUSTER), "restart-apiserver", "--state-dir", str(state_dir)],
                capture_output=True,
                text=True,
                check=False,
                timeout=180,
            )
            if out.returncode != 0:
                raise RuntimeError(f"restart-apiserver failed: {out.stderr}")
            self.apiserver_restart_s.append(round(time.monotonic() - started, 1))
        elif step.kind == "operator_sigkill":
            self.operator.kill()
            self._pause(float(p["restart_after_s"]))
            self.operator.start()
        elif step.kind == "second_operator":
            second_dir = self.workdir / "second"
            second_dir.mkdir(exist_ok=True)
            extra = [arg for c in self.creds[1:] for arg in ("--namespace", c.namespace)]
            self.second = OperatorProcess(
                second_dir,
                self.cluster.kubeconfig,
                self.creds[0].namespace,
                self.sim.url,
                *extra,
            )
            self._pause(float(p["duration_s"]))
            self.second.stop()
        else:
            raise ValueError(step.kind)

    def _clear_faults(self) -> None:
        """Drop pending faults, counting those no call consumed."""
        assert self.sim is not None
        pending = self.sim.call("GET", "/__sim/faults")["pending"]
        self.unconsumed_faults += sum(pending.values())
        self.sim.call("DELETE", "/__sim/faults")

    def _adobe_down(self, seconds: float) -> None:
        """Every Adobe call answers 503 for `seconds`; then check the outage showed in status."""
        assert self.sim is not None
        self._clear_faults()
        for endpoint in ADOBE_ENDPOINTS:
            self.sim.fault(endpoint=endpoint, status=503, count=100_000)
        before = self.sim.state()["requests"]
        self._pause(seconds / 2)
        midway = {c.name: self._rotation_step(c) for c in self.creds}
        self._pause(seconds / 2)
        after = self.sim.state()["requests"]
        failed_calls = sum(after[e].get("503", 0) - before[e].get("503", 0) for e in after)
        for c in self.creds:
            step = self._rotation_step(c)
            if failed_calls and midway[c.name] in ADOBE_STEPS and step in ADOBE_STEPS:
                status = self._status(c)
                if not _shows_failure(status):
                    self.recorder.record(
                        "I4",
                        c.name,
                        f"Adobe answered 503 to every call for {seconds:g}s while the rotation "
                        f"was at {midway[c.name]}/{step}: status does not show it "
                        f"(phase {status.get('phase')}, Ready: {_condition_text(status, 'Ready')})",
                    )
        self.sim.call("DELETE", "/__sim/faults")  # the outage's own leftovers

    def _rotation_step(self, c: Tracked) -> str | None:
        try:
            rotation = self._status(c).get("rotation") or {}
        except Exception as exc:
            if kube_unavailable(exc):
                return None
            raise
        return rotation.get("step")

    def _end_faults(self) -> None:
        assert self.sim is not None and self.operator is not None
        self._clear_faults()
        if self.second is not None:
            self.second.stop()
        if self.operator.exited():
            self.operator.start()

    # -- convergence (I6) -----------------------------------------------------------------------
    def _converge(self) -> None:
        started = time.monotonic()
        problems: dict[str, str | None] = {}

        def converged() -> bool:
            for c in self.creds:
                try:
                    problems[c.name] = self._convergence_problem(c)
                except Exception as exc:
                    if not kube_unavailable(exc):
                        raise
                    problems[c.name] = f"API server unavailable: {exc!r}"
            return not any(problems.values())

        timeout = self.config.converge_timeout_s
        with contextlib.suppress(ConditionTimeout):
            wait_until(converged, timeout=timeout, what="convergence", interval=0.5)
        for name, problem in problems.items():
            if problem:
                self.recorder.record(
                    "I6", name, f"not converged {timeout:g}s after the faults stopped: {problem}"
                )
        self.converge_s = round(time.monotonic() - started, 1)

    def _convergence_problem(self, c: Tracked) -> str | None:
        assert self.sim is not None
        status = self._status(c)
        adobe = self._adobe(self.sim.state(), c)
        value = self._secret_value(c)
        if status.get("rotation"):
            return f"rotation {status['rotation'].get('id')} at {status['rotation'].get('step')}"
        if status.get("phase") != "Ready":
            return f"phase {status.get('phase')}: {_condition_text(status, 'Ready')}"
        if len(adobe) != 1:
            return f"{len(adobe)} secrets in Adobe"
        if adobe[0]["value_sha256"] != sha256(value):
            return "the Secret does not hold Adobe's only secret"
        if status.get("currentSecretUuid") != adobe[0]["uuid"]:
            return "status.currentSecretUuid is not Adobe's only secret"
        if self._pending_values(c):
            return "a pending Secret is left"
        return None

    # -- invariants -----------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(self.config.sample_s):
            try:
                self.sample()
            except Exception as exc:
                self.recorder.record("harness", "-", f"watcher failed: {exc!r}")

    def sample(self) -> None:
        """I1, I2, I3, I4 and I5 (status) on one reading of the simulator and the cluster."""
        assert self.sim is not None
        with self._sample_lock:
            state = self.sim.state()  # before the statuses: every add in it has a started rotation
            for c in self.creds:
                try:
                    self._sample_credential(c, state)
                except Exception as exc:
                    if not kube_unavailable(exc):
                        raise
                    self.kube_unavailable += 1
            started = sum(len(c.started) for c in self.creds)
            adds = sum(state["requests"]["add"].values()) - self.initial_adds
            if adds > ADDS_PER_ROTATION * started:
                self.recorder.record(
                    "I3",
                    "*",
                    f"add calls exceed {ADDS_PER_ROTATION} per started rotation "
                    f"(first seen: {adds} adds for {started} rotations)",
                    key="add calls per rotation",
                )

    def _sample_credential(self, c: Tracked, state: dict[str, Any]) -> None:
        adobe = self._adobe(state, c)
        # I1
        if len(adobe) > MAX_SECRETS:
            self.recorder.record("I1", c.name, f"{len(adobe)} secrets in Adobe")
        c.seen_uuids |= {s["uuid"] for s in adobe}
        obj = self._credential(c)
        status = dict(obj.get("status") or {})
        c.last_status = status
        self._track(c, status)
        # I3: secrets created in Adobe for this credential (sampled) against rotations started.
        created = len(c.seen_uuids - c.initial_uuids)
        if created > ADDS_PER_ROTATION * len(c.started):
            self.recorder.record(
                "I3",
                c.name,
                f"more than {ADDS_PER_ROTATION} secrets created per started rotation "
                f"(first seen: {created} for {len(c.started)})",
                key="secrets created per rotation",
            )
        # I2: the Secret holds a secret Adobe holds. Re-read once before calling it a violation.
        value = self._secret_value(c)
        if sha256(value) not in {s["value_sha256"] for s in adobe}:
            assert self.sim is not None
            adobe = self._adobe(self.sim.state(), c)
            value = self._secret_value(c)
            if sha256(value) not in {s["value_sha256"] for s in adobe}:
                self.recorder.record(
                    "I2",
                    c.name,
                    f"the Secret holds a client secret Adobe does not hold (rotation "
                    f"{(status.get('rotation') or {}).get('id')} at "
                    f"{(status.get('rotation') or {}).get('step')}, Adobe has "
                    f"{[s['uuid'] for s in adobe]})",
                    key=f"Secret not in Adobe during {(status.get('rotation') or {}).get('id')}",
                )
        self._pending_values(c)
        self._check_status(c, status)
        # I5 in status (events and logs are checked after every step).
        text = json.dumps(obj)
        for leaked in self._leaks(text):
            self.recorder.record("I5", c.name, f"a secret value in status ({leaked})")

    def _track(self, c: Tracked, status: dict[str, Any]) -> None:
        rotation = status.get("rotation") or {}
        if rotation.get("id"):
            c.started.add(rotation["id"])
            if status.get("phase") == "Stalled":
                c.stalled.add(rotation["id"])
        for entry in status.get("history") or ():
            c.started.add(entry["id"])
            if entry.get("result") == "Succeeded":
                c.succeeded.add(entry["id"])
            else:
                c.failed[entry["id"]] = str(entry.get("message") or "")

    def _check_status(self, c: Tracked, status: dict[str, Any]) -> None:
        rotation = status.get("rotation") or {}
        adds = int(rotation.get("addAttempts") or 0)
        deletes = int(rotation.get("deleteAttempts") or 0)
        c.max_add_attempts = max(c.max_add_attempts, adds)
        c.max_delete_attempts = max(c.max_delete_attempts, deletes)
        if adds > MAX_ADD_ATTEMPTS:
            self.recorder.record(
                "I3", c.name, f"status.rotation.addAttempts {adds} > {MAX_ADD_ATTEMPTS}"
            )
        if deletes > MAX_DELETE_ATTEMPTS:
            self.recorder.record(
                "I3", c.name, f"status.rotation.deleteAttempts {deletes} > {MAX_DELETE_ATTEMPTS}"
            )
        phase = status.get("phase")
        conditions = {x.get("type"): x for x in status.get("conditions") or ()}
        if phase in ("Stalled", "Failed"):
            ready = conditions.get("Ready") or {}
            if (
                ready.get("status") != "False"
                or not ready.get("reason")
                or not ready.get("message")
            ):
                self.recorder.record(
                    "I4",
                    c.name,
                    f"phase {phase} without Ready=False and a reason and message "
                    f"(Ready: {ready.get('status')}/{ready.get('reason')})",
                )
        retry = status.get("retry")
        if retry:
            missing = [
                k
                for k in ("action", "reason", "message", "attempts", "nextRetryAt")
                if not retry.get(k)
            ]
            if missing:
                self.recorder.record("I4", c.name, f"status.retry without {', '.join(missing)}")
        degraded = conditions.get("Degraded")
        if (
            degraded
            and degraded.get("status") == "True"
            and not (degraded.get("reason") and degraded.get("message"))
        ):
            self.recorder.record("I4", c.name, "Degraded=True without a reason or message")

    def check(self, final: bool = False) -> None:
        """After every step: a sample, then I2 (emulator errors) and I5 (logs and events)."""
        try:
            self.sample()
        except Exception as exc:
            self.recorder.record("harness", "-", f"sample failed: {exc!r}")
        for c in self.creds:
            assert c.emulator is not None
            errors = c.emulator.errors[c.emulator_errors_seen :]
            c.emulator_errors_seen += len(errors)
            for error in errors:
                self.recorder.record("I2", c.name, f"application emulator: {error[:300]}")
        for path in self._log_paths():
            text = self._read_log(path, whole=final)
            for leaked in self._leaks(text):
                self.recorder.record("I5", "*", f"a secret value in {path.name} ({leaked})")
        for c in self.creds:
            try:
                events = self.cluster.core.list_namespaced_event(c.namespace, _request_timeout=10)
            except Exception as exc:
                if not kube_unavailable(exc):
                    raise
                continue
            # Only events not read yet (a repeat bumps the resourceVersion), all of them at the end
            # when every value is known.
            fresh = [
                e
                for e in events.items
                if final or (e.metadata.uid, e.metadata.resource_version) not in self.events_seen
            ]
            self.events_seen |= {(e.metadata.uid, e.metadata.resource_version) for e in fresh}
            text = json.dumps(self.cluster.api.sanitize_for_serialization(fresh))
            for leaked in self._leaks(text):
                self.recorder.record("I5", c.name, f"a secret value in an event ({leaked})")

    # -- readings -------------------------------------------------------------------------------
    def _credential(self, c: Tracked) -> dict[str, Any]:
        return dict(
            self.cluster.custom.get_namespaced_custom_object(
                GROUP, VERSION, c.namespace, PLURAL, CRED_NAME, _request_timeout=5
            )
        )

    def _status(self, c: Tracked) -> dict[str, Any]:
        return dict(self._credential(c).get("status") or {})

    def _adobe(self, state: dict[str, Any], c: Tracked) -> list[dict[str, Any]]:
        for cred in state["credentials"]:
            if cred["credential_id"] == c.credential_id:
                return list(cred["secrets"])
        raise KeyError(c.credential_id)

    def _secret_value(self, c: Tracked) -> str:
        secret = self.cluster.core.read_namespaced_secret(
            SECRET_NAME, c.namespace, _request_timeout=5
        )
        value = base64.b64decode(secret.data[SECRET_KEY]).decode()
        self._learn(value)
        return value

    def _pending_values(self, c: Tracked) -> list[str]:
        items = self.cluster.core.list_namespaced_secret(
            c.namespace, label_selector=f"{PENDING_LABEL}=true", _request_timeout=5
        ).items
        values = [base64.b64decode(v).decode() for s in items for v in (s.data or {}).values()]
        for value in values:
            self._learn(value)
        return values

    def _learn(self, value: str) -> None:
        if len(value) >= 12:  # a real client secret, not an empty or placeholder value
            with self.values_lock:
                self.values.add(value)

    def _leaks(self, text: str) -> list[str]:
        with self.values_lock:
            values = list(self.values)
        return [f"sha256 {sha256(v)[:12]}" for v in values if v in text]

    def _log_paths(self) -> list[Path]:
        paths = [p.log_path for p in (self.operator, self.second) if p is not None]
        return [*paths, self.workdir / "sim.log"]

    def _read_log(self, path: Path, whole: bool) -> str:
        """The part of a log not scanned yet (with an overlap for a value cut in two)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return ""
        start = 0 if whole else max(0, self.log_offsets.get(path, 0) - 200)
        self.log_offsets[path] = len(data)
        return data[start:].decode(errors="replace")

    # -- the report -----------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        assert self.sim is not None
        state = self.sim.state()
        answers = {
            e: {k: v for k, v in counts.items() if not k.startswith("2")}
            for e, counts in state["requests"].items()
        }
        violations = self.recorder.as_list()
        config = self.config
        return {
            "seed": config.seed,
            "dialect": dialect_for(config.seed),
            "reproduce": (
                f"SEED={config.seed} STEPS={self.executed} CREDENTIALS={config.credentials} "
                f"DOWN_S={config.down_s:g} KINDS={','.join(config.kinds)} make soak"
            ),
            "schedule_sha256": schedule_digest(self.schedule[: self.executed]),
            "credentials": len(self.creds),
            "steps": self.executed,
            "faults_injected": dict(sorted(self.injected.items())),
            "rotations_requested": sum(c.requests for c in self.creds),
            "rotations_started": sum(len(c.started) for c in self.creds),
            "rotations_completed": sum(len(c.succeeded) for c in self.creds),
            "rotations_failed": sum(len(c.failed) for c in self.creds),
            "rotations_stalled": sum(len(c.stalled) for c in self.creds),
            "rotation_failures": [
                {"credential": c.name, "id": rid, "message": message[:300]}
                for c in self.creds
                for rid, message in sorted(c.failed.items())
            ],
            "max_add_attempts": max((c.max_add_attempts for c in self.creds), default=0),
            "max_delete_attempts": max((c.max_delete_attempts for c in self.creds), default=0),
            "adobe_error_answers": answers,
            "faults_cleared_unconsumed": self.unconsumed_faults,
            "apiserver_restart_s": self.apiserver_restart_s,
            "kube_unavailable_samples": self.kube_unavailable
            + sum(c.emulator.tolerated for c in self.creds if c.emulator),
            "operator_starts": self.operator.starts if self.operator else 0,
            "app_uses": sum(c.emulator.uses for c in self.creds if c.emulator),
            "converge_s": self.converge_s,
            "violation_count": len(violations),
            "violations": violations,
            "duration_s": round(self._elapsed(), 1),
        }


def _shows_failure(status: dict[str, Any]) -> bool:
    """The status tells that calls are failing: a retry record, Degraded, Stalled or not Ready."""
    conditions = {c.get("type"): c for c in status.get("conditions") or ()}
    degraded = conditions.get("Degraded") or {}
    ready = conditions.get("Ready") or {}
    return bool(
        status.get("retry")
        or degraded.get("status") == "True"
        or status.get("phase") in ("Stalled", "Failed")
        or ready.get("status") == "False"
    )


def _condition_text(status: dict[str, Any], type_: str) -> str:
    for c in status.get("conditions") or ():
        if c.get("type") == type_:
            return f"{c.get('status')} {c.get('reason')}: {c.get('message')}"
    return "absent"


def run_soak(
    cluster: LocalCluster, workdir: Path, config: SoakConfig, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Set up, run the schedule, converge, tear down; return the report."""
    soak = Soak(cluster, workdir, config, log)
    # The API server is restarted on purpose: urllib3's retry warnings would drown the output.
    pool_log = logging.getLogger("urllib3.connectionpool")
    level = pool_log.level
    pool_log.setLevel(logging.ERROR)
    try:
        with soak.running():
            return soak.run()
    finally:
        pool_log.setLevel(level)
