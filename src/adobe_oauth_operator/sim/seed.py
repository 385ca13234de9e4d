"""The seed file: which credentials and secrets the simulator starts with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from adobe_oauth_operator.sim.model import IO_MANAGEMENT_SCOPES, MAX_SECRETS


class SeedError(ValueError):
    """The seed does not have the documented format."""


@dataclass(frozen=True)
class CredentialSeed:
    """One credential to create; `secrets` are plain values, `scopes` what its project allows."""

    org_id: str
    credential_id: str
    client_id: str
    secrets: tuple[str, ...] = ()
    scopes: tuple[str, ...] = IO_MANAGEMENT_SCOPES
    age_s: float = 0.0  # how long before the simulator started the seeded secrets were created


def load_seed(source: str | Path | Mapping[str, Any]) -> list[CredentialSeed]:
    """Read a seed from a YAML file path or an already parsed mapping."""
    if isinstance(source, Mapping):
        return parse_seed(source)
    try:
        data = yaml.safe_load(Path(source).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"cannot read seed {source}: {exc}") from exc
    return parse_seed(data)


def parse_seed(data: object) -> list[CredentialSeed]:
    """`{credentials: [{org_id, credential_id, client_id, secrets, scopes}]}` into seeds."""
    if data is None:
        return []
    if not isinstance(data, Mapping) or not isinstance(data.get("credentials", []), list):
        raise SeedError("the seed must be a mapping with a list under 'credentials'")
    seeds = [parse_credential(i, entry) for i, entry in enumerate(data.get("credentials", []))]
    _check_unique([s.client_id for s in seeds], "client_id")
    _check_unique([f"{s.org_id}/{s.credential_id}" for s in seeds], "org_id/credential_id")
    return seeds


def parse_credential(index: int, entry: object) -> CredentialSeed:
    """One entry of the credentials list."""
    where = f"credentials[{index}]"
    if not isinstance(entry, Mapping):
        raise SeedError(f"{where} is not a mapping")
    secrets = _strings(entry.get("secrets", []), f"{where}.secrets")
    if len(secrets) > MAX_SECRETS:
        raise SeedError(f"{where} has {len(secrets)} secrets; a credential holds at most 2")
    _check_unique(list(secrets), f"{where}.secrets value")
    scopes = _strings(entry.get("scopes", list(IO_MANAGEMENT_SCOPES)), f"{where}.scopes")
    return CredentialSeed(
        org_id=_id(entry, "org_id", where),
        credential_id=_id(entry, "credential_id", where),
        client_id=_id(entry, "client_id", where),
        secrets=secrets,
        scopes=scopes,
        age_s=_age(entry.get("age_s", 0), f"{where}.age_s"),
    )


def _age(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SeedError(f"{where} must be a number of seconds >= 0")
    return float(value)


def _id(entry: Mapping[str, Any], key: str, where: str) -> str:
    # YAML reads unquoted numeric ids as integers: they are still ids.
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise SeedError(f"{where}.{key} is required (a string)")
    return str(value).strip()


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SeedError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _check_unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise SeedError(f"duplicate {what} in the seed")
