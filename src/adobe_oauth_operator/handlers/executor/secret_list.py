"""What Adobe lists of the credential's client secrets, and which of them a value is."""

from __future__ import annotations

from datetime import datetime

from adobe_oauth_operator.adobe.models import CredentialRef, SecretInfo
from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.rotation.model import SecretMeta
from adobe_oauth_operator.sensitive import Sensitive


async def list_secrets(ctx: Context, ref: CredentialRef, value: Sensitive) -> list[SecretInfo]:
    return await ctx.adobe.list_secrets(ref, value, ctx.spec.scopes)


async def identify(
    ctx: Context, ref: CredentialRef, value: Sensitive, before: list[SecretInfo]
) -> str | None:
    """The uuid of the secret `value` is: a fresh token grant moves its last-used time only."""
    ctx.adobe.forget_secret(value)
    await ctx.adobe.get_token(ref, value, ctx.spec.scopes)
    after = {s.uuid: s.last_used_at for s in await list_secrets(ctx, ref, value)}
    moved = [s.uuid for s in before if after.get(s.uuid) != s.last_used_at]
    return moved[0] if len(moved) == 1 else None


def meta(info: SecretInfo) -> SecretMeta:
    return SecretMeta(info.uuid, info.created_at, info.last_used_at)


def created(secrets: list[SecretInfo], uuid: str) -> datetime | None:
    """When Adobe created the listed secret `uuid`."""
    return next((s.created_at for s in secrets if s.uuid == uuid), None)
