"""Which of Adobe's two published readings of the secrets endpoints the simulator speaks.

`spec`: Adobe's OpenAPI description of the I/O Management API (npm `@adobe/aio-lib-console@5.8.0`,
`spec/api.json`): add and delete answer 200, add answers only `{client_secret, expires_at,
expires_at_str}` (no uuid, no created_at), `secret_usages` is always an array, and every refusal
uses a status that description lists for the call. `guide`: the samples of the "OAuth
Server-to-Server credential implementation guide": add answers the whole SECRET plus
`client_secret`, `secret_usages` null for a never-used secret,
add 201 and delete 204 (the guide only says 2xx; these are the simulator's historic choice).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """Statuses and shapes that differ between the two sources; everything else is shared."""

    name: str
    add_status: int
    delete_status: int
    null_usages_when_unused: bool  # else an empty array
    add_names_secret: bool  # add answers uuid and created_at too
    limit_status: int  # a third add (neither source states it)
    last_secret_status: int  # deleting the only secret (neither source states it)


SPEC = Dialect(
    "spec",
    add_status=200,
    delete_status=200,
    null_usages_when_unused=False,
    add_names_secret=False,
    # The description lists 200, 401, 403, 404, 500 for add and delete: a refusal of a
    # well-formed call by a business rule is 403 among those.
    limit_status=403,
    last_secret_status=403,
)
GUIDE = Dialect(
    "guide",
    add_status=201,
    delete_status=204,
    null_usages_when_unused=True,
    add_names_secret=True,
    limit_status=400,
    last_secret_status=400,
)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (SPEC, GUIDE)}
DEFAULT_DIALECT = SPEC.name


def dialect_named(name: str | Dialect) -> Dialect:
    """The dialect called `name` (a Dialect passes through); ValueError for an unknown name."""
    if isinstance(name, Dialect):
        return name
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r} (known: {', '.join(DIALECTS)})") from None
