"""Operator settings from the environment and the command line."""

from __future__ import annotations

import pytest

from adobe_oauth_operator.cli import build_parser
from adobe_oauth_operator.config import OperatorConfig


def test_budgets_default_and_come_from_the_environment() -> None:
    default = OperatorConfig.from_env({})
    assert (default.adobe_max_rps, default.adobe_max_concurrency) == (20.0, 16)
    assert default.kube_max_concurrency == 8
    env = {"ADOBE_MAX_RPS": "5.5", "ADOBE_MAX_CONCURRENCY": "3", "KUBE_MAX_CONCURRENCY": "4"}
    configured = OperatorConfig.from_env(env)
    assert (configured.adobe_max_rps, configured.adobe_max_concurrency) == (5.5, 3)
    assert configured.kube_max_concurrency == 4
    assert OperatorConfig.from_env(env, adobe_max_rps=2.0).adobe_max_rps == 2.0


def test_a_budget_of_zero_is_refused_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--adobe-max-rps", "0"])
    assert "--adobe-max-rps: must be above 0" in capsys.readouterr().err
