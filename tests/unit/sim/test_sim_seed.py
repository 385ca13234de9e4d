"""The seed file format."""

from pathlib import Path

import pytest

from adobe_oauth_operator.sim import CredentialSeed, SeedError, load_seed
from adobe_oauth_operator.sim.model import IO_MANAGEMENT_SCOPES

SEED_YAML = """
credentials:
  - org_id: 12345
    credential_id: "67890"
    client_id: client-a
    secrets: [p8e-one, p8e-two]
    scopes: [AdobeID, openid]
  - org_id: "12345"
    credential_id: "67891"
    client_id: client-b
"""


def test_yaml_seed_is_read_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SEED_YAML)
    assert load_seed(path) == [
        CredentialSeed("12345", "67890", "client-a", ("p8e-one", "p8e-two"), ("AdobeID", "openid")),
        CredentialSeed("12345", "67891", "client-b", (), IO_MANAGEMENT_SCOPES),
    ]


def test_an_empty_seed_is_no_credentials() -> None:
    assert load_seed({"credentials": []}) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"credentials": "x"}, "list under 'credentials'"),
        ({"credentials": ["x"]}, "not a mapping"),
        ({"credentials": [{"org_id": "1", "credential_id": "2"}]}, "client_id is required"),
        (
            {
                "credentials": [
                    {
                        "org_id": "1",
                        "credential_id": "2",
                        "client_id": "c",
                        "secrets": ["a", "b", "c"],
                    }
                ]
            },
            "at most 2",
        ),
        (
            {
                "credentials": [
                    {"org_id": "1", "credential_id": "2", "client_id": "c", "secrets": ["a", "a"]}
                ]
            },
            "duplicate",
        ),
        (
            {
                "credentials": [
                    {"org_id": "1", "credential_id": "2", "client_id": "c"},
                    {"org_id": "1", "credential_id": "3", "client_id": "c"},
                ]
            },
            "duplicate client_id",
        ),
        (
            {
                "credentials": [
                    {"org_id": "1", "credential_id": "2", "client_id": "c", "scopes": [""]}
                ]
            },
            "non-empty strings",
        ),
    ],
)
def test_bad_seeds_are_refused(data: object, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        load_seed(data)  # type: ignore[arg-type]


def test_duplicate_secret_errors_do_not_echo_values() -> None:
    seed = {
        "credentials": [
            {
                "org_id": "1",
                "credential_id": "2",
                "client_id": "c",
                "secrets": ["p8e-dup-value", "p8e-dup-value"],
            }
        ]
    }
    with pytest.raises(SeedError) as caught:
        load_seed(seed)
    assert "p8e-dup-value" not in str(caught.value)


def test_unreadable_seed_file_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read"):
        load_seed(tmp_path / "missing.yaml")


def test_seeded_secrets_can_be_backdated() -> None:
    from adobe_oauth_operator.sim.seed import parse_seed

    [seed] = parse_seed(
        {
            "credentials": [
                {
                    "org_id": "1",
                    "credential_id": "2",
                    "client_id": "c",
                    "secrets": ["v"],
                    "age_s": 7200,
                }
            ]
        }
    )
    assert seed.age_s == 7200.0
