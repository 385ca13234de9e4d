"""Carries out the state machine's actions against Adobe and Kubernetes; reports back a message.

One module per family of side effects (an action's `props.family`), dispatched by `handler`.
Every failure becomes an ActionFailed message with a reason a person can act on; nothing here
raises to kopf, and no message text includes a secret value or token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import assert_never

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.handlers.executor import (
    adobe,
    checks,
    drift,
    secrets,
    tokens,
    workloads,
)
from adobe_oauth_operator.handlers.executor.context import ActionError, Context, Resource
from adobe_oauth_operator.handlers.failures import failure_from_adobe_error, failure_from_kube_error
from adobe_oauth_operator.handlers.ownership import ClaimsView
from adobe_oauth_operator.kube import errors as kube_errors
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credential_secrets import AppSecret, KnownGood
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.sensitive import Sensitive

__all__ = ["ActionError", "Executor", "Handler", "Resource", "handler"]

Handler = Callable[[Context], Awaitable[m.Message]]


def handler(action: m.Action) -> Handler:
    """The function that carries `action` out, bound to it; mypy checks every action has one."""
    match action:
        case m.Adopt():
            return partial(adobe.adopt, action=action)
        case m.ListSecrets():
            return partial(adobe.list_all, action=action)
        case m.InspectPending():
            return partial(adobe.inspect_pending, action=action)
        case m.AddSecret():
            return partial(adobe.add, action=action)
        case m.VerifyNewSecret():
            return partial(adobe.verify, action=action)
        case m.DeleteSecret():
            return partial(adobe.delete, action=action)
        case m.Preflight():
            return partial(checks.preflight, action=action)
        case m.CheckClaims():
            return partial(checks.claims, action=action)
        case m.InspectDrift():
            return partial(drift.inspect, action=action)
        case m.SaveKnownGood():
            return partial(drift.save_known_good, action=action)
        case m.DeleteKnownGood():
            return partial(drift.delete_copy, action=action)
        case m.WriteAppSecret():
            return partial(secrets.write_app, action=action)
        case m.DeletePending():
            return partial(secrets.delete_pending, action=action)
        case m.RestartTargets():
            return partial(workloads.restart, action=action)
        case m.CheckRollouts():
            return partial(workloads.check_rollouts, action=action)
        case m.RestartTokenReaders():
            return partial(workloads.restart_token_readers, action=action)
        case m.VendToken():
            return partial(tokens.vend, action=action)
        case _:
            assert_never(action)


class Executor:
    """Runs one action for one resource."""

    def __init__(
        self,
        adobe: AdobeClient,
        kube: KubeClients,
        resource: Resource,
        hmac_key: Sensitive | None = None,
        claims: ClaimsView | None = None,
    ) -> None:
        self.ctx = Context(adobe, kube, resource, hmac_key, claims)
        self.res = resource

    async def run(self, action: m.Action) -> m.Message:
        try:
            return await handler(action)(self.ctx)
        except ActionError as exc:
            return exc.failure
        except adobe_errors.AdobeError as exc:
            return failure_from_adobe_error(exc)
        except kube_errors.KubeError as exc:
            return failure_from_kube_error(exc)

    async def read_app(self) -> AppSecret | None:
        """The application Secret as it is now; None when it does not exist."""
        return await self.ctx.read_app()

    def known_good_intact(self, copy: KnownGood, expected: str | None) -> bool:
        """The copy holds the value whose HMAC status recorded; never without key and HMAC."""
        return self.ctx.known_good_intact(copy, expected)

    async def app_may_hold(self, uuid: str, source: m.KnownGoodCopy | None) -> bool:
        """Whether the Secret holds (or may hold) client secret `uuid`: never delete that one."""
        return await adobe.app_may_hold(self.ctx, uuid, source)

    async def app_fingerprint(self) -> str | None:
        """The HMAC of what the Secret holds now; None when it or its keys are missing."""
        return await self.ctx.app_fingerprint()

    async def observe_token(self) -> m.TokenObservation | None:
        """What the token Secret holds now; None when no token is vended."""
        return await tokens.observe(self.ctx)
