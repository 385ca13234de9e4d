"""Access tokens vended to applications: grant one into the token Secret, observe what it holds."""

from __future__ import annotations

from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.handlers.executor.credentials import credential
from adobe_oauth_operator.kube import errors as kube_errors
from adobe_oauth_operator.kube.access_token_secret import read_token_secret, write_token_secret
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.vended_tokens import expires_at_text
from adobe_oauth_operator.sensitive import Sensitive


async def vend(ctx: Context, action: m.VendToken) -> m.Message:
    vended = ctx.spec.access_token
    if vended is None:
        # The machine vends only for a spec that asks for it: a spec changed under the action.
        return m.ActionFailed(m.ErrorKind.INVALID_SPEC, "spec.accessToken is not set")
    ref, value = await credential(ctx, action.using, action.from_known_good)
    token = await ctx.adobe.grant_token(ref, value, ctx.spec.token_scopes)
    secret = Sensitive(token.reveal())
    try:
        await write_token_secret(
            ctx.kube,
            ctx.res.namespace,
            vended.secret_name,
            ctx.res.owner,
            vended.key,
            secret,
            expires_at_text(token.expires_at),
        )
    except kube_errors.NotOwned as exc:
        return m.ActionFailed(m.ErrorKind.TOKEN_SECRET_CONFLICT, str(exc))
    return m.TokenVended(action.secret_uuid, token.expires_at, ctx.token_fingerprint(secret))


async def observe(ctx: Context) -> m.TokenObservation | None:
    """What the token Secret holds now; None when no token is vended."""
    vended = ctx.spec.access_token
    if vended is None:
        return None
    found = await read_token_secret(
        ctx.kube, ctx.res.namespace, vended.secret_name, vended.key, ctx.res.uid
    )
    if found is None or not found.owned or found.token is None:
        return m.TokenObservation(present=False)
    return m.TokenObservation(True, ctx.token_fingerprint(found.token), found.expires_at)
