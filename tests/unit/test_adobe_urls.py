"""Adobe URLs receive client secrets and tokens: https, or plain http on loopback only."""

from __future__ import annotations

import pytest

from adobe_oauth_operator import cli
from adobe_oauth_operator.adobe import AdobeClient
from adobe_oauth_operator.config import OperatorConfig, adobe_url_problem
from adobe_oauth_operator.plugin import main as plugin

ACCEPTED = [
    "https://ims-na1.adobelogin.com",
    "https://api.adobe.io/",
    "https://proxy.example.com:8443/adobe",
    "http://127.0.0.1:8080",
    "http://127.5.6.7",
    "http://[::1]:9000",
    "http://localhost:1234",
    "http://LOCALHOST",
]
REFUSED = [
    ("http://api.adobe.io", "must be https"),
    ("http://10.0.0.1:8080", "must be https"),
    ("http://[::2]", "must be https"),
    ("http://localhost.evil.example", "must be https"),
    ("http://127.0.0.1.nip.io", "must be https"),
    ("ftp://ims.example.com", "https URL with a host"),
    ("ims-na1.adobelogin.com", "https URL with a host"),
    ("https://", "https URL with a host"),
    ("", "https URL with a host"),
    ("https://user:p8e-secret@ims.example.com", "user info"),
    ("https://ims.example.com/?token=x", "query"),
    ("https://ims.example.com:99999", "not a URL"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert adobe_url_problem(url, "the IMS URL") is None
    assert OperatorConfig(ims_url=url, api_url=url).ims_url == url


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_other_urls_are_refused_with_a_clear_message(url: str, why: str) -> None:
    problem = adobe_url_problem(url, "the IMS URL")
    assert problem is not None and why in problem and problem.startswith("the IMS URL")
    assert "p8e-secret" not in problem


def test_the_environment_is_checked_at_startup() -> None:
    with pytest.raises(ValueError, match=r"API URL .*must be https"):
        OperatorConfig.from_env({"ADOBE_API_URL": "http://api.adobe.io"})
    assert OperatorConfig.from_env({}).ims_url == "https://ims-na1.adobelogin.com"


def test_the_operator_refuses_to_start_with_a_plain_http_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADOBE_IMS_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--ims-url", "http://ims.example.com"])
    assert exited.value.code == 2
    assert "must be https" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--ims-url", "--api-url"])
def test_the_plugin_check_flags_follow_the_same_rule(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = plugin.build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["check", "x", flag, "http://adobe.example.com"])
    assert exited.value.code == 2
    assert "must be https" in capsys.readouterr().err
    args = parser.parse_args(["check", "x", flag, "http://127.0.0.1:8080"])
    assert "http://127.0.0.1:8080" in (args.ims_url, args.api_url)


def test_the_adobe_client_itself_refuses_a_plain_http_url() -> None:
    with pytest.raises(ValueError, match="must be https"):
        AdobeClient(ims_url="http://ims.example.com", api_url="https://api.adobe.io")
    with pytest.raises(ValueError, match="API URL"):
        AdobeClient(ims_url="https://ims.example.com", api_url="http://api.adobe.io")
