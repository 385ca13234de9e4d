"""The workloads reading the Secret or the token Secret: restart them, follow their rollouts."""

from __future__ import annotations

from adobe_oauth_operator.handlers.executor.context import Context
from adobe_oauth_operator.kube.rollouts import restart_workload, rollout_state
from adobe_oauth_operator.kube.workloads import (
    discover_jobs,
    discover_workloads,
    template_reads_secret_from_env,
)
from adobe_oauth_operator.names import TOKEN_REFRESH_ANNOTATION
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import JobConsumer, Target


async def _targets(ctx: Context) -> list[Target]:
    spec, namespace = ctx.spec, ctx.res.namespace
    wanted = set(spec.targets)
    if spec.auto_discover:
        wanted.update(await discover_workloads(ctx.kube, namespace, spec.secret_name))
        vended = spec.access_token
        if vended is not None:
            # Readers of the token through env keep a token of the old secret until restarted;
            # a mounted file is updated in place, so volume readers are left alone.
            wanted.update(
                await discover_workloads(
                    ctx.kube, namespace, vended.secret_name, template_reads_secret_from_env
                )
            )
    return sorted(wanted)


async def restart(ctx: Context, action: m.RestartTargets) -> m.Message:
    results = []
    for target in await _targets(ctx):
        result = await restart_workload(ctx.kube, ctx.res.namespace, target, action.rotation_id)
        results.append((target, result))
    jobs: tuple[JobConsumer, ...] = ()
    if ctx.spec.auto_discover:
        jobs = await discover_jobs(ctx.kube, ctx.res.namespace, ctx.spec.secret_name)
    return m.TargetsRestarted(tuple(results), jobs)


async def check_rollouts(ctx: Context, action: m.CheckRollouts) -> m.Message:
    states = []
    for target in action.targets:
        state = await rollout_state(ctx.kube, ctx.res.namespace, target, action.rotation_id)
        states.append(m.RolloutStatus(target, state.complete, state.message))
    return m.RolloutsChecked(tuple(states))


async def restart_token_readers(ctx: Context, action: m.RestartTokenReaders) -> m.Message:
    vended = ctx.spec.access_token
    readers: list[Target] = []
    if vended is not None and ctx.spec.auto_discover:
        readers = await discover_workloads(
            ctx.kube, ctx.res.namespace, vended.secret_name, template_reads_secret_from_env
        )
    results = []
    for target in readers:
        result = await restart_workload(
            ctx.kube, ctx.res.namespace, target, action.stamp, TOKEN_REFRESH_ANNOTATION
        )
        results.append((target, result))
    return m.TokenReadersRestarted(action.stamp, tuple(results))
