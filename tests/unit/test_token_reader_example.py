"""examples/access-token/app.py: the sample application re-reads the mounted token file, so a
refresh written the way the kubelet updates a Secret volume is used at the next call."""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from adobe_oauth_operator.sim import simulator_in_thread

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET = "p8e-sample-app-secret"


@pytest.fixture
def app() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "token_reader_app", REPO / "examples" / "access-token" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kubelet_write(mount: Path, generation: int, data: dict[str, str]) -> None:
    """What the kubelet's atomic writer does: a new timestamped dir, then swap the ..data link."""
    target = mount / f"..gen_{generation}"
    target.mkdir()
    for key, value in data.items():
        (target / key).write_text(value)
        link = mount / key
        if not link.is_symlink():
            link.symlink_to(Path("..data") / key)
    tmp = mount / "..data_tmp"
    tmp.symlink_to(target.name)
    os.replace(tmp, mount / "..data")


def _grant(url: str) -> dict[str, Any]:
    form = (
        "grant_type=client_credentials&client_id="
        f"{CLIENT_ID}&client_secret={SECRET}&scope=AdobeID,openid,read_organizations,"
        "additional_info.projectedProductContext,additional_info.roles,adobeio_api"
    ).encode()
    with urllib.request.urlopen(f"{url}/ims/token/v3", data=form, timeout=10) as resp:  # noqa: S310
        answer: dict[str, Any] = json.load(resp)
    return answer


def test_the_sample_app_uses_a_refreshed_token_without_a_restart(
    app: ModuleType, tmp_path: Path
) -> None:
    seed = {
        "credentials": [
            {"org_id": "1", "credential_id": "2", "client_id": CLIENT_ID, "secrets": [SECRET]}
        ]
    }
    with simulator_in_thread(seed=seed) as sim:
        app.API_CALL_URL, app.CLIENT_ID = f"{sim.url}/__sim/api", CLIENT_ID
        first = _grant(sim.url)["access_token"]
        _kubelet_write(
            tmp_path,
            1,
            {"ADOBE_ACCESS_TOKEN": first, "ADOBE_ACCESS_TOKEN_EXPIRES_AT": "2030-01-01T00:00:00Z"},
        )
        token, expires = app.read_token(tmp_path)
        assert (token, expires.year) == (first, 2030)
        assert app.call_adobe(token) == 200

        second = _grant(sim.url)["access_token"]
        _kubelet_write(
            tmp_path,
            2,
            {"ADOBE_ACCESS_TOKEN": second, "ADOBE_ACCESS_TOKEN_EXPIRES_AT": "2030-01-02T00:00:00Z"},
        )
        token, expires = app.read_token(tmp_path)
        assert (token, expires.day) == (second, 2)
        assert app.call_adobe(token) == 200
        assert app.call_adobe("not-a-token") == 401
