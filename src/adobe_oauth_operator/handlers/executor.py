"""Carries out the state machine's actions against Adobe and Kubernetes; reports back a message.

Every failure becomes an ActionFailed message with a reason a person can act on; nothing here
raises to kopf, and no message text includes a secret value or token.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from adobe_oauth_operator.adobe import errors as adobe_errors
from adobe_oauth_operator.adobe.client import AdobeClient
from adobe_oauth_operator.adobe.models import CredentialRef, SecretInfo
from adobe_oauth_operator.adobe.scopes import IO_MANAGEMENT_SCOPES
from adobe_oauth_operator.handlers.failures import failure_from_adobe_error, failure_from_kube_error
from adobe_oauth_operator.handlers.ownership import ClaimsView, Me, check_claims
from adobe_oauth_operator.kube import errors as kube_errors
from adobe_oauth_operator.kube.access_token_secret import read_token_secret, write_token_secret
from adobe_oauth_operator.kube.clients import KubeClients
from adobe_oauth_operator.kube.credential_secrets import (
    AppSecret,
    KnownGood,
    OwnerRef,
    PendingSecret,
    check_app_secret_writable,
    delete_known_good,
    delete_pending_secret,
    known_good_name,
    pending_secret_conflict,
    read_app_secret,
    read_known_good,
    read_pending_secret,
    write_app_secret,
    write_known_good,
    write_pending_secret,
)
from adobe_oauth_operator.kube.rollouts import restart_workload, rollout_state, workload_exists
from adobe_oauth_operator.kube.workloads import (
    discover_jobs,
    discover_workloads,
    template_reads_secret_from_env,
)
from adobe_oauth_operator.names import (
    API_VERSION,
    KIND,
    PENDING_SUFFIX,
    ROTATION_ID_ANNOTATION,
    SECRET_UUID_ANNOTATION,
    TOKEN_REFRESH_ANNOTATION,
)
from adobe_oauth_operator.rotation import messages as m
from adobe_oauth_operator.rotation.model import (
    CredentialIds,
    JobConsumer,
    OnDrift,
    SecretMeta,
    Spec,
    Target,
)
from adobe_oauth_operator.rotation.validation import client_id_problem
from adobe_oauth_operator.rotation.vended_tokens import expires_at_text
from adobe_oauth_operator.sensitive import Sensitive, same_hmac, secret_fingerprint

logger = logging.getLogger(__name__)


class ActionError(Exception):
    """An action cannot proceed; carries the message the state machine gets."""

    def __init__(self, failure: m.ActionFailed) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class Resource:
    """The AdobeOAuthCredential an action works for."""

    namespace: str
    name: str
    uid: str
    spec: Spec
    client_id: str | None  # learned at adoption, or from the spec

    @property
    def owner(self) -> OwnerRef:
        return OwnerRef(
            api_version=API_VERSION,
            kind=KIND,
            name=self.name,
            uid=self.uid,
            namespace=self.namespace,
        )


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
        self.adobe = adobe
        self.kube = kube
        self.res = resource
        self.hmac_key = hmac_key
        self.claims = claims if claims is not None else ClaimsView()
        # Set for a rotation restoring a drifted Secret: Adobe is called with the known-good copy.
        self.from_known_good = False
        # status.knownGoodHmac: the copy is used only while it still holds that value.
        self.known_good_hmac: str | None = None
        # A resource stored before CRD defaulting may lack scopes: use the documented set.
        self.spec = replace(resource.spec, scopes=resource.spec.scopes or IO_MANAGEMENT_SCOPES)

    async def run(self, action: m.Action) -> m.Message:
        handler = self._handlers()[type(action)]
        try:
            return await handler(action)
        except ActionError as exc:
            return exc.failure
        except adobe_errors.AdobeError as exc:
            return failure_from_adobe_error(exc)
        except kube_errors.KubeError as exc:
            return failure_from_kube_error(exc)

    def _handlers(self) -> dict[type, Callable[[m.Action], Awaitable[m.Message]]]:
        return {
            m.Adopt: self._adopt,  # type: ignore[dict-item]
            m.Preflight: self._preflight,  # type: ignore[dict-item]
            m.InspectDrift: self._inspect_drift,  # type: ignore[dict-item]
            m.ListSecrets: self._list,  # type: ignore[dict-item]
            m.InspectPending: self._inspect_pending,  # type: ignore[dict-item]
            m.AddSecret: self._add,  # type: ignore[dict-item]
            m.DeleteSecret: self._delete,  # type: ignore[dict-item]
            m.VerifyNewSecret: self._verify,  # type: ignore[dict-item]
            m.WriteAppSecret: self._write_app_secret,  # type: ignore[dict-item]
            m.RestartTargets: self._restart,  # type: ignore[dict-item]
            m.CheckRollouts: self._check_rollouts,  # type: ignore[dict-item]
            m.DeletePending: self._delete_pending,  # type: ignore[dict-item]
            m.VendToken: self._vend_token,  # type: ignore[dict-item]
            m.RestartTokenReaders: self._restart_token_readers,  # type: ignore[dict-item]
            m.SaveKnownGood: self._save_known_good,  # type: ignore[dict-item]
            m.DeleteKnownGood: self._delete_known_good,  # type: ignore[dict-item]
            m.CheckClaims: self._check_claims,  # type: ignore[dict-item]
        }

    # -- credentials -------------------------------------------------------------------------
    async def read_app(self) -> AppSecret | None:
        """The application Secret as it is now; None when it does not exist."""
        spec = self.spec
        return await read_app_secret(
            self.kube,
            self.res.namespace,
            spec.secret_name,
            spec.client_id_key,
            spec.client_secret_key,
        )

    async def _app_credential(self) -> tuple[CredentialRef, Sensitive]:
        if self.from_known_good:
            return await self._known_good_credential()
        spec = self.spec
        app = await self.read_app()
        if app is None:
            raise ActionError(
                m.ActionFailed(
                    m.ErrorKind.SECRET_MISSING,
                    f"Secret {self.res.namespace}/{spec.secret_name} does not exist; create it "
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
        client_id = spec.client_id or self.res.client_id or app.client_id
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
        return self._ref(client_id), app.client_secret

    async def _known_good_credential(self) -> tuple[CredentialRef, Sensitive]:
        copy = await read_known_good(self.kube, self.res.namespace, self.res.name, self.res.uid)
        if copy is None:
            raise ActionError(
                m.ActionFailed(
                    m.ErrorKind.KNOWN_GOOD_MISSING,
                    f"the known-good copy {known_good_name(self.res.name)} this rotation restores "
                    f"Secret {self.spec.secret_name} from is gone; put a working client secret of "
                    "this credential into the Secret",
                )
            )
        if not self.known_good_intact(copy, self.known_good_hmac):
            raise ActionError(
                m.ActionFailed(
                    m.ErrorKind.KNOWN_GOOD_MISSING,
                    f"the known-good copy {known_good_name(self.res.name)} no longer holds the "
                    "client secret status verified (its HMAC differs from status.knownGoodHmac): "
                    "it was changed outside the operator and is not used; put a working client "
                    f"secret of this credential into Secret {self.spec.secret_name}",
                )
            )
        return self._ref(self.spec.client_id or copy.client_id), copy.value

    def known_good_intact(self, copy: KnownGood, expected: str | None) -> bool:
        """The copy holds the value whose HMAC status recorded; never without key and HMAC."""
        if expected is None or self.hmac_key is None:
            return False
        return same_hmac(self.fingerprint(copy.client_id, copy.value), expected)

    async def _pending_value(self) -> Sensitive | None:
        pending = await read_pending_secret(
            self.kube, self.res.namespace, self.res.name, self.res.uid
        )
        return pending.value if pending else None

    async def _credential(self, using: m.Using) -> tuple[CredentialRef, Sensitive]:
        ref, app_value = await self._app_credential()
        if using is m.Using.APP_SECRET:
            return ref, app_value
        pending = await self._pending_value()
        # After the Secret was updated the two are the same value; the pending copy is canonical.
        return ref, pending if pending is not None else app_value

    def _ref(self, client_id: str) -> CredentialRef:
        return CredentialRef(
            org_id=self.spec.org_id, credential_id=self.spec.credential_id, client_id=client_id
        )

    async def _list_secrets(
        self, ref: CredentialRef, value: Sensitive, scopes: tuple[str, ...]
    ) -> list[SecretInfo]:
        return await self.adobe.list_secrets(ref, value, scopes)

    # -- actions -----------------------------------------------------------------------------
    async def _adopt(self, _: m.Adopt) -> m.Message:
        ref, value = await self._app_credential()
        scopes = self.spec.scopes
        before = await self._list_secrets(ref, value, scopes)
        fingerprint = self.fingerprint(ref.client_id, value)
        listed = tuple(_meta(s) for s in before)
        if not before:
            return m.ActionFailed(m.ErrorKind.UNEXPECTED, "Adobe lists no client secret at all")
        uuid = before[0].uuid if len(before) == 1 else await self._identify(ref, value, before)
        if uuid is not None:
            return m.Adopted(uuid, ref.client_id, fingerprint, _created(before, uuid), listed)
        return m.ActionFailed(
            m.ErrorKind.ADOPTION_AMBIGUOUS,
            "the credential holds 2 client secrets and it is not yet clear which one the Secret "
            "holds; retrying",
        )

    async def _identify(
        self, ref: CredentialRef, value: Sensitive, before: list[SecretInfo]
    ) -> str | None:
        """The uuid of the secret `value` is: a fresh token grant moves its last-used time only."""
        scopes = self.spec.scopes
        self.adobe.forget_secret(value)
        await self.adobe.get_token(ref, value, scopes)
        after = {s.uuid: s.last_used_at for s in await self._list_secrets(ref, value, scopes)}
        moved = [s.uuid for s in before if after.get(s.uuid) != s.last_used_at]
        return moved[0] if len(moved) == 1 else None

    async def _preflight(self, _: m.Preflight) -> m.Message:
        """Find what would stop a rotation half-way, before anything is created in Adobe."""
        app = await self.read_app()
        await self._app_credential()  # exists, has the keys, a client id is known
        namespace, name = self.res.namespace, self.spec.secret_name
        if app is not None and app.immutable:
            return m.ActionFailed(
                m.ErrorKind.SECRET_NOT_WRITABLE,
                f"Secret {namespace}/{name} is immutable, so a new client secret could never be "
                "written into it; recreate it without immutable: true",
            )
        try:
            await check_app_secret_writable(self.kube, namespace, name)
        except (kube_errors.Forbidden, kube_errors.Invalid) as exc:
            return m.ActionFailed(
                m.ErrorKind.SECRET_NOT_WRITABLE,
                f"the operator could not update Secret {namespace}/{name} ({exc}); grant it "
                "patch on Secrets in this namespace",
            )
        missing = [
            f"{t.kind}/{t.name}"
            for t in self.spec.targets
            if not await workload_exists(self.kube, namespace, t)
        ]
        if missing:
            return m.ActionFailed(
                m.ErrorKind.TARGET_NOT_FOUND,
                f"spec.rollout.targets names workloads that do not exist: {', '.join(missing)}; "
                "create them or fix the list (nothing was changed in Adobe)",
            )
        conflict = await pending_secret_conflict(self.kube, namespace, self.res.name, self.res.uid)
        if conflict is not None:
            return m.ActionFailed(m.ErrorKind.PENDING_CONFLICT, conflict)
        return m.PreflightPassed()

    async def _list(self, action: m.ListSecrets) -> m.Message:
        ref, value = await self._credential(action.using)
        secrets = await self._list_secrets(ref, value, self.spec.scopes)
        return m.SecretsListed(tuple(_meta(s) for s in secrets))

    async def _inspect_pending(self, action: m.InspectPending) -> m.Message:
        ref, value = await self._app_credential()
        secrets = await self._list_secrets(ref, value, self.spec.scopes)
        pending = await read_pending_secret(
            self.kube, self.res.namespace, self.res.name, self.res.uid
        )
        listed = tuple(_meta(s) for s in secrets)
        if pending is None or pending.rotation_id != action.rotation_id:
            return m.PendingInspected(listed, None)
        if not pending.secret_uuid:  # Adobe's add answer named no uuid
            return m.PendingInspected(listed, None, unnamed_value_held=True)
        return m.PendingInspected(listed, pending.secret_uuid)

    async def _add(self, action: m.AddSecret) -> m.Message:
        ref, value = await self._app_credential()
        try:
            added = await self.adobe.add_secret(ref, value, self.spec.scopes)
        except adobe_errors.AddOutcomeUnknownError:
            return m.AddOutcomeUnknown()
        # The value exists nowhere else: keep it before anything else can fail.
        await write_pending_secret(
            self.kube,
            self.res.namespace,
            self.res.owner,
            action.rotation_id,
            added.uuid or "",
            added.value,
        )
        return m.SecretAdded(added.uuid, added.created_at)

    async def _check_claims(self, action: m.CheckClaims) -> m.Message:
        res = self.res
        me = Me(res.namespace, res.name, res.uid, self.spec)
        return await check_claims(self.kube, self.claims, me, action.since)

    async def _delete(self, action: m.DeleteSecret) -> m.Message:
        ref, value = await self._credential(action.using)
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
        refusal = await self._guard_delete(ref, action)
        if refusal is not None:
            return refusal
        with contextlib.suppress(adobe_errors.SecretNotFoundError):  # already gone: done
            await self.adobe.delete_secret(ref, value, self.spec.scopes, action.secret_uuid)
        return m.SecretDeleted(action.secret_uuid)

    async def _guard_delete(self, ref: CredentialRef, action: m.DeleteSecret) -> m.Message | None:
        """Re-read the Secret right before a delete: never delete the secret it holds."""
        if action.guard is m.DeleteGuard.NONE:
            return None
        app = await self.read_app()
        pending = await read_pending_secret(
            self.kube, self.res.namespace, self.res.name, self.res.uid
        )
        if action.guard is m.DeleteGuard.APP_NOT_NEW:
            if not await self._app_may_hold(ref, action.secret_uuid, app, pending):
                return None
            return m.ActionFailed(
                m.ErrorKind.UNEXPECTED,
                f"refusing to delete client secret {action.secret_uuid}: Secret "
                f"{self.spec.secret_name} holds it",
            )
        if app is None or app.client_secret is None:
            return m.AppSecretReverted(f"Secret {self.spec.secret_name} or its key is gone")
        if app.client_id is not None and app.client_id != ref.client_id:
            return m.AppSecretReverted("its client id was changed")
        if pending is not None:
            same = app.client_secret == pending.value
        else:  # the copy is gone: ask Adobe which secret the Secret's value is
            listed = await self._list_secrets(ref, app.client_secret, self.spec.scopes)
            same = await self._identify(ref, app.client_secret, listed) not in (
                None,
                action.secret_uuid,
            )
        return None if same else m.AppSecretReverted("it holds a different client secret")

    async def app_may_hold(self, uuid: str) -> bool:
        """Whether the Secret holds (or may hold) client secret `uuid`: never delete that one."""
        app = await self.read_app()
        if app is None or app.client_secret is None:
            return False
        ref, _ = await self._app_credential()
        pending = await read_pending_secret(
            self.kube, self.res.namespace, self.res.name, self.res.uid
        )
        return await self._app_may_hold(ref, uuid, app, pending)

    async def _app_may_hold(
        self, ref: CredentialRef, uuid: str, app: AppSecret | None, pending: PendingSecret | None
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
            listed = await self._list_secrets(ref, app.client_secret, self.spec.scopes)
            if all(s.uuid != uuid for s in listed):
                return False
            held = await self._identify(ref, app.client_secret, listed)
        except adobe_errors.InvalidClientError:
            return False  # IMS refuses the Secret's value: it is no live secret, not `uuid`
        return held is None or held == uuid  # not told apart: keep it

    async def _verify(self, _: m.VerifyNewSecret) -> m.Message:
        ref, old_value = await self._app_credential()
        new_value = await self._pending_value()
        if new_value is None:
            return m.VerifyRejected("the pending Secret holding the new value is gone")
        try:
            await self.adobe.get_token(ref, new_value, self.spec.scopes)
        except adobe_errors.InvalidClientError:
            return m.VerifyRejected("IMS refused a token for the new client secret")
        if old_value != new_value:
            # From here on the old secret is never used again, or we would keep it "in use".
            self.adobe.forget_secret(old_value)
        return m.Verified()

    async def _write_app_secret(self, action: m.WriteAppSecret) -> m.Message:
        ref, _ = await self._app_credential()
        value = await self._pending_value()
        if value is None:
            return m.ActionFailed(
                m.ErrorKind.KUBERNETES,
                f"the pending Secret {self.res.name}{PENDING_SUFFIX} is gone before the new value "
                "was written; the rotation cannot finish",
            )
        await write_app_secret(
            self.kube,
            self.res.namespace,
            self.spec.secret_name,
            self.spec.client_id_key,
            self.spec.client_secret_key,
            ref.client_id,
            value,
            {
                SECRET_UUID_ANNOTATION: action.secret_uuid,
                ROTATION_ID_ANNOTATION: action.rotation_id,
            },
        )
        return m.AppSecretWritten(self.fingerprint(ref.client_id, value))

    def fingerprint(self, client_id: str, value: Sensitive) -> str | None:
        """The HMAC status keeps of what the Secret holds; None without a key."""
        if self.hmac_key is None:
            return None
        return secret_fingerprint(self.hmac_key, client_id, value)

    async def app_fingerprint(self) -> str | None:
        """The HMAC of what the Secret holds now; None when it or its keys are missing."""
        app = await self.read_app()
        if app is None or not app.client_secret:
            return None
        client_id = self.spec.client_id or app.client_id or self.res.client_id or ""
        return self.fingerprint(client_id, app.client_secret)

    async def _inspect_drift(self, action: m.InspectDrift) -> m.Message:
        """One token request with what the Secret now holds: adopt it if Adobe accepts it."""
        ref, value = await self._app_credential()
        self.adobe.forget_secret(value)
        try:
            before = await self._list_secrets(ref, value, self.spec.scopes)
        except adobe_errors.InvalidClientError:
            return await self._drift_refused(action)
        uuid = await self._identify(ref, value, before) if len(before) > 1 else before[0].uuid
        if uuid is None:
            return m.ActionFailed(
                m.ErrorKind.ADOPTION_AMBIGUOUS,
                "the Secret changed and it is not yet clear which client secret it holds; retrying",
            )
        return m.DriftAdopted(uuid, self.fingerprint(ref.client_id, value), _created(before, uuid))

    async def _drift_refused(self, action: m.InspectDrift) -> m.Message:
        """Rotate from the known-good copy if there is one status trusts; else report."""
        refused = (
            f"Secret {self.spec.secret_name} was changed outside the operator and IMS refuses "
            "the client id and secret it now holds; applications reading it cannot get tokens"
        )
        if self.spec.on_drift is OnDrift.REPORT:
            return m.ActionFailed(
                m.ErrorKind.SECRET_DRIFTED,
                f"{refused}: put the current client secret back, or a working one of this "
                "credential (spec.rotation.onDrift is Report)",
            )
        copy = await read_known_good(self.kube, self.res.namespace, self.res.name, self.res.uid)
        intact = copy is not None and self.known_good_intact(copy, action.known_good)
        if not intact:
            return m.ActionFailed(
                m.ErrorKind.SECRET_DRIFTED,
                f"{refused}, and there is no intact known-good copy "
                f"({known_good_name(self.res.name)}) to rotate from: put the current client "
                "secret back, or a working one of this credential",
            )
        return m.DriftRefused(action.rotation_id)

    async def _save_known_good(self, action: m.SaveKnownGood) -> m.Message:
        """Copy what the Secret holds, only if it is still the value status verified."""
        app = await self.read_app()
        if app is None or not app.client_secret:
            return m.KnownGoodSaved(None)
        client_id = self.spec.client_id or app.client_id or self.res.client_id or ""
        if not same_hmac(self.fingerprint(client_id, app.client_secret), action.fingerprint):
            return m.KnownGoodSaved(None)  # changed since the decision: the next pass inspects it
        copy = KnownGood(client_id, app.client_secret, action.secret_uuid)
        await write_known_good(self.kube, self.res.namespace, self.res.owner, copy)
        return m.KnownGoodSaved(action.fingerprint)

    async def _delete_known_good(self, _: m.DeleteKnownGood) -> m.Message:
        await delete_known_good(self.kube, self.res.namespace, self.res.name, self.res.uid)
        return m.KnownGoodDeleted()

    async def _targets(self) -> list[Target]:
        wanted = set(self.spec.targets)
        if self.spec.auto_discover:
            wanted.update(
                await discover_workloads(self.kube, self.res.namespace, self.spec.secret_name)
            )
            vended = self.spec.access_token
            if vended is not None:
                # Readers of the token through env keep a token of the old secret until restarted;
                # a mounted file is updated in place, so volume readers are left alone.
                wanted.update(
                    await discover_workloads(
                        self.kube,
                        self.res.namespace,
                        vended.secret_name,
                        template_reads_secret_from_env,
                    )
                )
        return sorted(wanted)

    async def _restart(self, action: m.RestartTargets) -> m.Message:
        results = []
        for target in await self._targets():
            result = await restart_workload(
                self.kube, self.res.namespace, target, action.rotation_id
            )
            results.append((target, result))
        jobs: tuple[JobConsumer, ...] = ()
        if self.spec.auto_discover:
            jobs = await discover_jobs(self.kube, self.res.namespace, self.spec.secret_name)
        return m.TargetsRestarted(tuple(results), jobs)

    async def _check_rollouts(self, action: m.CheckRollouts) -> m.Message:
        states = []
        for target in action.targets:
            state = await rollout_state(self.kube, self.res.namespace, target, action.rotation_id)
            states.append(m.RolloutStatus(target, state.complete, state.message))
        return m.RolloutsChecked(tuple(states))

    async def _delete_pending(self, _: m.DeletePending) -> m.Message:
        await delete_pending_secret(self.kube, self.res.namespace, self.res.name, self.res.uid)
        return m.PendingDeleted()

    # -- vended access tokens ----------------------------------------------------------------
    async def _vend_token(self, action: m.VendToken) -> m.Message:
        vended = self.spec.access_token
        if vended is None:
            return m.ActionFailed(m.ErrorKind.UNEXPECTED, "spec.accessToken is not set")
        ref, value = await self._credential(action.using)
        token = await self.adobe.grant_token(ref, value, self.spec.token_scopes)
        secret = Sensitive(token.reveal())
        try:
            await write_token_secret(
                self.kube,
                self.res.namespace,
                vended.secret_name,
                self.res.owner,
                vended.key,
                secret,
                expires_at_text(token.expires_at),
            )
        except kube_errors.NotOwned as exc:
            return m.ActionFailed(m.ErrorKind.TOKEN_SECRET_CONFLICT, str(exc))
        return m.TokenVended(action.secret_uuid, token.expires_at, self.token_fingerprint(secret))

    async def _restart_token_readers(self, action: m.RestartTokenReaders) -> m.Message:
        vended = self.spec.access_token
        readers: list[Target] = []
        if vended is not None and self.spec.auto_discover:
            readers = await discover_workloads(
                self.kube, self.res.namespace, vended.secret_name, template_reads_secret_from_env
            )
        results = []
        for target in readers:
            result = await restart_workload(
                self.kube, self.res.namespace, target, action.stamp, TOKEN_REFRESH_ANNOTATION
            )
            results.append((target, result))
        return m.TokenReadersRestarted(action.stamp, tuple(results))

    def token_fingerprint(self, token: Sensitive) -> str | None:
        """The HMAC status keeps of the vended token; None without a key."""
        if self.hmac_key is None:
            return None
        return secret_fingerprint(self.hmac_key, "access-token", token)

    async def observe_token(self) -> m.TokenObservation | None:
        """What the token Secret holds now; None when no token is vended."""
        vended = self.spec.access_token
        if vended is None:
            return None
        found = await read_token_secret(
            self.kube, self.res.namespace, vended.secret_name, vended.key, self.res.uid
        )
        if found is None or not found.owned or found.token is None:
            return m.TokenObservation(present=False)
        return m.TokenObservation(True, self.token_fingerprint(found.token), found.expires_at)


def _same_credential(ref: CredentialRef, recorded: CredentialIds) -> bool:
    return (ref.org_id, ref.credential_id) == (recorded.org_id, recorded.credential_id) and (
        recorded.client_id is None or ref.client_id == recorded.client_id
    )


def _meta(info: SecretInfo) -> SecretMeta:
    return SecretMeta(info.uuid, info.created_at, info.last_used_at)


def _created(secrets: list[SecretInfo], uuid: str) -> datetime | None:
    """When Adobe created the listed secret `uuid`."""
    return next((s.created_at for s in secrets if s.uuid == uuid), None)
