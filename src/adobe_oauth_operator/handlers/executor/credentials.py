"""The client id and secret an action authenticates with: the Secret's, pending or known-good."""

from __future__ import annotations

from adobe_oauth_operator.adobe.models import CredentialRef
from adobe_oauth_operator.handlers.executor.context import ActionError, Context
from adobe_oauth_operator.kube.credential_secrets import (
    known_good_name,
    read_known_good,
    read_pending_secret,
)
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.validation import client_id_problem
from adobe_oauth_operator.sensitive import Sensitive


async def app_credential(
    ctx: Context, source: m.KnownGoodCopy | None
) -> tuple[CredentialRef, Sensitive]:
    """The Secret's client id and secret, or the known-good copy's when `source` says so."""
    if source is not None:
        return await _known_good_credential(ctx, source)
    spec = ctx.spec
    app = await ctx.read_app()
    if app is None:
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.SECRET_MISSING,
                f"Secret {ctx.res.namespace}/{spec.secret_name} does not exist; create it "
                f"with the current client secret under the key {spec.client_secret_key}",
            )
        )
    if app.client_secret is None or not app.client_secret:
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.SECRET_KEY_MISSING,
                f"Secret {spec.secret_name} has no key {spec.client_secret_key} "
                "(spec.secretKeys.clientSecret)",
            )
        )
    client_id = spec.client_id or ctx.res.client_id or app.client_id
    problem = client_id_problem(client_id) if client_id else None
    if problem is not None:
        # Checked before it is used or logged: it may be a secret pasted under the wrong key.
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.CLIENT_ID_INVALID,
                f"the client id in Secret {spec.secret_name} (key {spec.client_id_key}) is "
                f"not an Adobe client id: {problem}",
            )
        )
    if not client_id:
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.CLIENT_ID_MISSING,
                f"no client id: set spec.clientId or the key {spec.client_id_key} in Secret "
                f"{spec.secret_name}",
            )
        )
    return ctx.ref(client_id), app.client_secret


async def _known_good_credential(
    ctx: Context, source: m.KnownGoodCopy
) -> tuple[CredentialRef, Sensitive]:
    res = ctx.res
    copy = await read_known_good(ctx.kube, res.namespace, res.name, res.uid)
    if copy is None:
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.KNOWN_GOOD_MISSING,
                f"the known-good copy {known_good_name(res.name)} this rotation restores "
                f"Secret {ctx.spec.secret_name} from is gone; put a working client secret of "
                "this credential into the Secret",
            )
        )
    if not ctx.known_good_intact(copy, source.fingerprint):
        raise ActionError(
            m.ActionFailed(
                m.ErrorKind.KNOWN_GOOD_MISSING,
                f"the known-good copy {known_good_name(res.name)} no longer holds the "
                "client secret status verified (its HMAC differs from status.knownGoodHmac): "
                "it was changed outside the operator and is not used; put a working client "
                f"secret of this credential into Secret {ctx.spec.secret_name}",
            )
        )
    return ctx.ref(ctx.spec.client_id or copy.client_id), copy.value


async def pending_value(ctx: Context) -> Sensitive | None:
    """The new client secret the pending Secret holds; None when it is gone."""
    pending = await read_pending_secret(ctx.kube, ctx.res.namespace, ctx.res.name, ctx.res.uid)
    return pending.value if pending else None


async def credential(
    ctx: Context, using: m.Using, source: m.KnownGoodCopy | None
) -> tuple[CredentialRef, Sensitive]:
    """The client id, and the client secret `using` names."""
    ref, app_value = await app_credential(ctx, source)
    if using is m.Using.APP_SECRET:
        return ref, app_value
    pending = await pending_value(ctx)
    # After the Secret was updated the two are the same value; the pending copy is canonical.
    return ref, pending if pending is not None else app_value
