"""`kubectl aoc rotate`: what it patches, and the confirmation an emergency needs."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from adobe_oauth_operator.names import EMERGENCY_ANNOTATION, ROTATE_ANNOTATION
from adobe_oauth_operator.plugin import main as plugin
from adobe_oauth_operator.plugin.kube import Cluster


@dataclass
class FakeCluster:
    """The resources a namespace holds, by name with their labels; records every patch."""

    labels: dict[str, dict[str, str]]
    namespace: str = "team"
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def get(self, name: str) -> dict[str, Any]:
        return {"metadata": {"name": name}}

    def items(self, selector: str | None = None) -> list[dict[str, Any]]:
        wanted = dict(p.split("=", 1) for p in (selector or "").split(",") if p)
        return [
            {"metadata": {"name": name}}
            for name, labels in self.labels.items()
            if all(labels.get(k) == v for k, v in wanted.items())
        ]

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.patches.append((name, body))
        return {}


class Terminal(io.StringIO):
    """Standard input on a terminal, with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


def rotate(cluster: FakeCluster, *argv: str) -> int:
    args = plugin.build_parser().parse_args(["rotate", *argv])
    return plugin._rotate(cast(Cluster, cluster), args)


def two() -> FakeCluster:
    return FakeCluster({"payments": {"team": "a"}, "billing": {"team": "a"}})


def test_a_plain_rotation_asks_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    cluster = two()
    assert rotate(cluster, "payments") == 0
    [(name, body)] = cluster.patches
    annotations = body["metadata"]["annotations"]
    assert name == "payments" and annotations[EMERGENCY_ANNOTATION] is None
    assert "rotation requested for team/payments" in capsys.readouterr().out


def test_an_emergency_without_a_terminal_or_yes_is_refused_and_patches_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: not a person's answer
    cluster = two()
    assert rotate(cluster, "--all", "--emergency") == 1
    assert cluster.patches == []
    out, err = capsys.readouterr()
    assert "team/payments" in out and "team/billing" in out, "lists what it would act on"
    assert "needs confirmation" in err and "--yes" in err


def test_an_emergency_with_yes_lists_the_resources_before_patching_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cluster = two()
    assert rotate(cluster, "-l", "team=a", "--emergency", "--yes") == 0
    out = capsys.readouterr().out
    assert out.index("  team/payments") < out.index("emergency rotation requested for")
    assert "without the drain wait" in out
    assert [name for name, _ in cluster.patches] == ["payments", "billing"]
    for _, body in cluster.patches:
        annotations = body["metadata"]["annotations"]
        assert annotations[EMERGENCY_ANNOTATION] == annotations[ROTATE_ANNOTATION]


@pytest.mark.parametrize(("answer", "patched"), [("y\n", 1), ("yes\n", 1), ("\n", 0), ("n\n", 0)])
def test_an_emergency_on_a_terminal_asks_first(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    patched: int,
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    cluster = two()
    assert rotate(cluster, "payments", "--emergency") == (0 if patched else 1)
    assert len(cluster.patches) == patched
    out = capsys.readouterr().out
    assert "team/payments" in out and "Proceed? [y/N]" in out
    assert "team/billing" not in out, "lists only what it acts on"


@pytest.mark.parametrize("selector", ["", " ", ","])
@pytest.mark.parametrize("emergency", [[], ["--emergency", "--yes"]])
def test_an_empty_selector_is_refused(
    capsys: pytest.CaptureFixture[str], selector: str, emergency: list[str]
) -> None:
    cluster = two()
    assert rotate(cluster, "-l", selector, *emergency) == 1
    assert cluster.patches == []
    assert "use --all" in capsys.readouterr().err
