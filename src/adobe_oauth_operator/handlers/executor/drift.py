"""The Secret changed outside the operator: inspect it, and keep or drop the known-good copy."""

from __future__ import annotations

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.handlers.executor.credentials import app_credential
from adobe_oauth_operator.handlers.executor.secret_list import created, identify, list_secrets
from adobe_oauth_operator.kube.credential_secrets import (
    KnownGood,
    delete_known_good,
    known_good_name,
    read_known_good,
    write_known_good,
)
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import OnDrift
from adobe_oauth_operator.sensitive import same_hmac


async def inspect(ctx: Context, action: m.InspectDrift) -> m.Message:
    """One token request with what the Secret now holds: adopt it if Adobe accepts it."""
    ref, value = await app_credential(ctx, action.from_known_good)
    ctx.adobe.forget_secret(value)
    try:
        before = await list_secrets(ctx, ref, value)
    except adobe_errors.InvalidClientError:
        return await _refused(ctx, action)
    uuid = await identify(ctx, ref, value, before) if len(before) > 1 else before[0].uuid
    if uuid is None:
        return m.ActionFailed(
            m.ErrorKind.ADOPTION_AMBIGUOUS,
            "the Secret changed and it is not yet clear which client secret it holds; retrying",
        )
    return m.DriftAdopted(uuid, ctx.fingerprint(ref.client_id, value), created(before, uuid))


async def _refused(ctx: Context, action: m.InspectDrift) -> m.Message:
    """Rotate from the known-good copy if there is one status trusts; else report."""
    refused = (
        f"Secret {ctx.spec.secret_name} was changed outside the operator and IMS refuses "
        "the client id and secret it now holds; applications reading it cannot get tokens"
    )
    if ctx.spec.on_drift is OnDrift.REPORT:
        return m.ActionFailed(
            m.ErrorKind.SECRET_DRIFTED,
            f"{refused}: put the current client secret back, or a working one of this "
            "credential (spec.rotation.onDrift is Report)",
        )
    res = ctx.res
    copy = await read_known_good(ctx.kube, res.namespace, res.name, res.uid)
    intact = copy is not None and ctx.known_good_intact(copy, action.known_good)
    if not intact:
        return m.ActionFailed(
            m.ErrorKind.SECRET_DRIFTED,
            f"{refused}, and there is no intact known-good copy "
            f"({known_good_name(res.name)}) to rotate from: put the current client "
            "secret back, or a working one of this credential",
        )
    return m.DriftRefused(action.rotation_id)


async def save_known_good(ctx: Context, action: m.SaveKnownGood) -> m.Message:
    """Copy what the Secret holds, only if it is still the value status verified."""
    app = await ctx.read_app()
    if app is None or not app.client_secret:
        return m.KnownGoodSaved(None)
    client_id = ctx.spec.client_id or app.client_id or ctx.res.client_id or ""
    if not same_hmac(ctx.fingerprint(client_id, app.client_secret), action.fingerprint):
        return m.KnownGoodSaved(None)  # changed since the decision: the next pass inspects it
    copy = KnownGood(client_id, app.client_secret, action.secret_uuid)
    await write_known_good(ctx.kube, ctx.res.namespace, ctx.res.owner, copy)
    return m.KnownGoodSaved(action.fingerprint)


async def delete_copy(ctx: Context, action: m.DeleteKnownGood) -> m.Message:
    await delete_known_good(ctx.kube, ctx.res.namespace, ctx.res.name, ctx.res.uid)
    return m.KnownGoodDeleted()
