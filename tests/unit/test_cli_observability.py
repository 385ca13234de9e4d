"""The command line and environment that turn metrics and JSON logs on."""

from __future__ import annotations

import pytest

from adobe_oauth_operator.cli import build_parser
from adobe_oauth_operator.config import OperatorConfig


def test_metrics_are_off_unless_asked_for() -> None:
    args = build_parser().parse_args(["run"])
    assert args.metrics_address is None and args.log_format is None
    config = OperatorConfig.from_env({})
    assert (config.metrics_address, config.log_format) == (None, "plain")


def test_flags_and_environment() -> None:
    args = build_parser().parse_args(["run", "--metrics", "0.0.0.0:9090", "--log-format", "json"])
    assert (args.metrics_address, args.log_format) == ("0.0.0.0:9090", "json")
    env = {"METRICS_ADDR": "127.0.0.1:9100", "LOG_FORMAT": "json"}
    assert (
        OperatorConfig.from_env(env).metrics_address,
        OperatorConfig.from_env(env).log_format,
    ) == ("127.0.0.1:9100", "json")
    # A flag wins over the environment.
    config = OperatorConfig.from_env(env, metrics_address="0.0.0.0:9090", log_format="plain")
    assert (config.metrics_address, config.log_format) == ("0.0.0.0:9090", "plain")


def test_a_bad_address_is_refused_with_its_shape(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--metrics", "9090"])
    assert "expected HOST:PORT" in capsys.readouterr().err
