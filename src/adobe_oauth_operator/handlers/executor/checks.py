"""Checks before a rotation touches anything, and the claim on the Secret and credential."""

from __future__ import annotations

from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.handlers.executor.credentials import app_credential
from adobe_oauth_operator.handlers.ownership import Me, check_claims
from adobe_oauth_operator.kube import errors as kube_errors
from adobe_oauth_operator.kube.credential_secrets import (
    check_app_secret_writable,
    pending_secret_conflict,
)
from adobe_oauth_operator.kube.rollouts import workload_exists
from adobe_oauth_operator.rotation import messages as m


async def preflight(ctx: Context, action: m.Preflight) -> m.Message:
    """Find what would stop a rotation half-way, before anything is created in Adobe."""
    app = await ctx.read_app()
    await app_credential(ctx, action.from_known_good)  # exists, has the keys, a client id is known
    namespace, name = ctx.res.namespace, ctx.spec.secret_name
    if app is not None and app.immutable:
        return m.ActionFailed(
            m.ErrorKind.SECRET_NOT_WRITABLE,
            f"Secret {namespace}/{name} is immutable, so a new client secret could never be "
            "written into it; recreate it without immutable: true",
        )
    try:
        await check_app_secret_writable(ctx.kube, namespace, name)
    except (kube_errors.Forbidden, kube_errors.Invalid) as exc:
        return m.ActionFailed(
            m.ErrorKind.SECRET_NOT_WRITABLE,
            f"the operator could not update Secret {namespace}/{name} ({exc}); grant it "
            "patch on Secrets in this namespace",
        )
    missing = [
        f"{t.kind}/{t.name}"
        for t in ctx.spec.targets
        if not await workload_exists(ctx.kube, namespace, t)
    ]
    if missing:
        return m.ActionFailed(
            m.ErrorKind.TARGET_NOT_FOUND,
            f"spec.rollout.targets names workloads that do not exist: {', '.join(missing)}; "
            "create them or fix the list (nothing was changed in Adobe)",
        )
    conflict = await pending_secret_conflict(ctx.kube, namespace, ctx.res.name, ctx.res.uid)
    if conflict is not None:
        return m.ActionFailed(m.ErrorKind.PENDING_CONFLICT, conflict)
    return m.PreflightPassed()


async def claims(ctx: Context, action: m.CheckClaims) -> m.Message:
    res = ctx.res
    me = Me(res.namespace, res.name, res.uid, ctx.spec)
    return await check_claims(ctx.kube, ctx.claims, me, action.since)
