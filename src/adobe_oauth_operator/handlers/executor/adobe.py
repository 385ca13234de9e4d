"""Calls to Adobe about the credential's client secrets: adopt, list, add, verify, delete."""

from __future__ import annotations

import contextlib

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.adobe.models import CredentialRef
from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.handlers.executor.credentials import (
    app_credential,
    credential,
    pending_value,
)
from adobe_oauth_operator.handlers.executor.secret_list import (
    created,
    identify,
    list_secrets,
    meta,
)
from adobe_oauth_operator.kube.credential_secrets import (
    AppSecret,
    PendingSecret,
    read_pending_secret,
    write_pending_secret,
)
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import CredentialIds


async def adopt(ctx: Context, action: m.Adopt) -> m.Message:
    ref, value = await app_credential(ctx, action.from_known_good)
    before = await list_secrets(ctx, ref, value)
    fingerprint = ctx.fingerprint(ref.client_id, value)
    listed = tuple(meta(s) for s in before)
    if not before:
        return m.ActionFailed(
            m.ErrorKind.UNEXPECTED_RESPONSE, "Adobe lists no client secret at all"
        )
    uuid = before[0].uuid if len(before) == 1 else await identify(ctx, ref, value, before)
    if uuid is not None:
        return m.Adopted(uuid, ref.client_id, fingerprint, created(before, uuid), listed)
    return m.ActionFailed(
        m.ErrorKind.ADOPTION_AMBIGUOUS,
        "the credential holds 2 client secrets and it is not yet clear which one the Secret "
        "holds; retrying",
    )


async def list_all(ctx: Context, action: m.ListSecrets) -> m.Message:
    ref, value = await credential(ctx, action.using, action.from_known_good)
    secrets = await list_secrets(ctx, ref, value)
    return m.SecretsListed(tuple(meta(s) for s in secrets))


async def inspect_pending(ctx: Context, action: m.InspectPending) -> m.Message:
    ref, value = await app_credential(ctx, action.from_known_good)
    secrets = await list_secrets(ctx, ref, value)
    res = ctx.res
    pending = await read_pending_secret(ctx.kube, res.namespace, res.name, res.uid)
    listed = tuple(meta(s) for s in secrets)
    if pending is None or pending.rotation_id != action.rotation_id:
        return m.PendingInspected(listed, None)
    if not pending.secret_uuid:  # Adobe's add answer named no uuid
        return m.PendingInspected(listed, None, unnamed_value_held=True)
    return m.PendingInspected(listed, pending.secret_uuid)


async def add(ctx: Context, action: m.AddSecret) -> m.Message:
    ref, value = await app_credential(ctx, action.from_known_good)
    try:
        added = await ctx.adobe.add_secret(ref, value, ctx.spec.scopes)
    except adobe_errors.AddOutcomeUnknownError:
        return m.AddOutcomeUnknown()
    # The value exists nowhere else: keep it before anything else can fail.
    await write_pending_secret(
        ctx.kube,
        ctx.res.namespace,
        ctx.res.owner,
        action.rotation_id,
        added.uuid or "",
        added.value,
    )
    return m.SecretAdded(added.uuid, added.created_at)


async def verify(ctx: Context, action: m.VerifyNewSecret) -> m.Message:
    ref, old_value = await app_credential(ctx, action.from_known_good)
    new_value = await pending_value(ctx)
    if new_value is None:
        return m.VerifyRejected("the pending Secret holding the new value is gone")
    try:
        await ctx.adobe.get_token(ref, new_value, ctx.spec.scopes)
    except adobe_errors.InvalidClientError:
        return m.VerifyRejected("IMS refused a token for the new client secret")
    if old_value != new_value:
        # From here on the old secret is never used again, or we would keep it "in use".
        ctx.adobe.forget_secret(old_value)
    return m.Verified()


async def delete(ctx: Context, action: m.DeleteSecret) -> m.Message:
    ref, value = await credential(ctx, action.using, action.from_known_good)
    recorded = action.credential
    if recorded is not None and not _same_credential(ref, recorded):
        # Never on another credential's secrets, and "not found" there proves nothing.
        return m.ActionFailed(
            m.ErrorKind.SPEC_CHANGED,
            f"refusing to delete client secret {action.secret_uuid}: the rotation works on "
            f"{recorded} (client id {recorded.client_id}) and the spec or Secret now names "
            f"orgId {ref.org_id}, credentialId {ref.credential_id} (client id "
            f"{ref.client_id}); put the rotation's ids back to let it finish",
        )
    refusal = await _guard_delete(ctx, ref, action)
    if refusal is not None:
        return refusal
    with contextlib.suppress(adobe_errors.SecretNotFoundError):  # already gone: done
        await ctx.adobe.delete_secret(ref, value, ctx.spec.scopes, action.secret_uuid)
    return m.SecretDeleted(action.secret_uuid)


async def _guard_delete(
    ctx: Context, ref: CredentialRef, action: m.DeleteSecret
) -> m.Message | None:
    """Re-read the Secret right before a delete: never delete the secret it holds."""
    if action.guard is m.DeleteGuard.NONE:
        return None
    app = await ctx.read_app()
    pending = await read_pending_secret(ctx.kube, ctx.res.namespace, ctx.res.name, ctx.res.uid)
    if action.guard is m.DeleteGuard.APP_NOT_NEW:
        if not await _app_may_hold(ctx, ref, action.secret_uuid, app, pending):
            return None
        return m.ActionFailed(
            m.ErrorKind.UNEXPECTED_RESPONSE,
            f"refusing to delete client secret {action.secret_uuid}: Secret "
            f"{ctx.spec.secret_name} holds it",
        )
    if app is None or app.client_secret is None:
        return m.AppSecretReverted(f"Secret {ctx.spec.secret_name} or its key is gone")
    if app.client_id is not None and app.client_id != ref.client_id:
        return m.AppSecretReverted("its client id was changed")
    if pending is not None:
        same = app.client_secret == pending.value
    else:  # the copy is gone: ask Adobe which secret the Secret's value is
        listed = await list_secrets(ctx, ref, app.client_secret)
        same = await identify(ctx, ref, app.client_secret, listed) not in (
            None,
            action.secret_uuid,
        )
    return None if same else m.AppSecretReverted("it holds a different client secret")


async def app_may_hold(ctx: Context, uuid: str, source: m.KnownGoodCopy | None) -> bool:
    """Whether the Secret holds (or may hold) client secret `uuid`: never delete that one."""
    app = await ctx.read_app()
    if app is None or app.client_secret is None:
        return False
    ref, _ = await app_credential(ctx, source)
    pending = await read_pending_secret(ctx.kube, ctx.res.namespace, ctx.res.name, ctx.res.uid)
    return await _app_may_hold(ctx, ref, uuid, app, pending)


async def _app_may_hold(
    ctx: Context,
    ref: CredentialRef,
    uuid: str,
    app: AppSecret | None,
    pending: PendingSecret | None,
) -> bool:
    """Whether the Secret holds (or may hold) client secret `uuid`, which is about to go."""
    if app is None or app.client_secret is None:
        return False
    if pending is not None:
        # A pending value whose uuid Adobe's add answer did not name may be this secret's.
        return pending.secret_uuid in (uuid, "") and app.client_secret == pending.value
    # The pending copy is gone (the garbage collector may delete it before the finalizer
    # runs, in a foreground deletion): only Adobe can tell which secret the Secret holds.
    try:
        listed = await list_secrets(ctx, ref, app.client_secret)
        if all(s.uuid != uuid for s in listed):
            return False
        held = await identify(ctx, ref, app.client_secret, listed)
    except adobe_errors.InvalidClientError:
        return False  # IMS refuses the Secret's value: it is no live secret, not `uuid`
    return held is None or held == uuid  # not told apart: keep it


def _same_credential(ref: CredentialRef, recorded: CredentialIds) -> bool:
    return (ref.org_id, ref.credential_id) == (recorded.org_id, recorded.credential_id) and (
        recorded.client_id is None or ref.client_id == recorded.client_id
    )
