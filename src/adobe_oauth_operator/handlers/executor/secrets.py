"""The application and pending Kubernetes Secrets: write the new value, drop the pending copy."""

from __future__ import annotations

from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.handlers.executor.credentials import app_credential, pending_value
from adobe_oauth_operator.kube.credential_secrets import delete_pending_secret, write_app_secret
from adobe_oauth_operator.names import (
    PENDING_SUFFIX,
    ROTATION_ID_ANNOTATION,
    SECRET_UUID_ANNOTATION,
)
from adobe_oauth_operator.rotation import messages as m


async def write_app(ctx: Context, action: m.WriteAppSecret) -> m.Message:
    ref, _ = await app_credential(ctx, action.from_known_good)
    value = await pending_value(ctx)
    if value is None:
        return m.ActionFailed(
            m.ErrorKind.KUBERNETES,
            f"the pending Secret {ctx.res.name}{PENDING_SUFFIX} is gone before the new value "
            "was written; the rotation cannot finish",
        )
    await write_app_secret(
        ctx.kube,
        ctx.res.namespace,
        ctx.spec.secret_name,
        ctx.spec.client_id_key,
        ctx.spec.client_secret_key,
        ref.client_id,
        value,
        {
            SECRET_UUID_ANNOTATION: action.secret_uuid,
            ROTATION_ID_ANNOTATION: action.rotation_id,
        },
    )
    return m.AppSecretWritten(ctx.fingerprint(ref.client_id, value))


async def delete_pending(ctx: Context, action: m.DeletePending) -> m.Message:
    await delete_pending_secret(ctx.kube, ctx.res.namespace, ctx.res.name, ctx.res.uid)
    return m.PendingDeleted()
