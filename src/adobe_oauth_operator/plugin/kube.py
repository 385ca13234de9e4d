"""The plugin's view of the cluster: the user's kubeconfig, context and namespace."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from adobe_oauth_operator.names import GROUP, KIND, PLURAL, VERSION

# Writes made with the plugin are the user's, recorded under this field manager.
FIELD_MANAGER = "kubectl-aoc"
MERGE_PATCH = "application/merge-patch+json"
TIMEOUT = (5.0, 30.0)


class PluginError(Exception):
    """A failure the plugin reports in one line and exits non-zero for."""


@dataclass
class Cluster:
    api: client.ApiClient
    namespace: str

    @classmethod
    def connect(cls, kubeconfig: str | None, context: str | None, namespace: str | None) -> Cluster:
        """The kubeconfig's context (or `context`); its namespace unless `namespace` is given."""
        try:
            api = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context
            )
            contexts, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
                config_file=kubeconfig
            )
            if context is not None:
                active = next(c for c in contexts if c["name"] == context)
        except (config.ConfigException, OSError, StopIteration) as exc:
            raise PluginError(f"cannot load the kubeconfig: {exc}") from None
        default = (active.get("context") or {}).get("namespace") or "default"
        return cls(api, namespace or default)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    def get(self, name: str) -> dict[str, Any]:
        obj: dict[str, Any] = _call(
            f"AdobeOAuthCredential {self.namespace}/{name}",
            self.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            name,
        )
        return obj

    def items(self, selector: str | None = None) -> list[dict[str, Any]]:
        found = _call(
            f"AdobeOAuthCredentials in {self.namespace}",
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            label_selector=selector or "",
        )
        return list(found.get("items") or [])

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = _call(
            f"patch AdobeOAuthCredential {self.namespace}/{name}",
            self.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            name,
            body,
            field_manager=FIELD_MANAGER,
            _content_type=MERGE_PATCH,
        )
        return obj

    def events(self, obj: dict[str, Any]) -> list[Any]:
        """The resource's events, oldest first."""
        meta = obj["metadata"]
        found = _call(
            f"events of {self.namespace}/{meta['name']}",
            self.core.list_namespaced_event,
            self.namespace,
            field_selector=f"involvedObject.kind={KIND},involvedObject.name={meta['name']}",
        )
        items = [e for e in found.items if e.involved_object.uid in (None, meta.get("uid"))]
        return sorted(items, key=_event_time)

    def secret(self, name: str) -> Any | None:
        try:
            return self.core.read_namespaced_secret(name, self.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise PluginError(f"cannot read Secret {self.namespace}/{name}: {_why(exc)}") from None


def _event_time(event: Any) -> Any:
    return (
        event.last_timestamp
        or event.event_time
        or event.first_timestamp
        or event.metadata.creation_timestamp
        or datetime.min.replace(tzinfo=UTC)
    )


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("_request_timeout", TIMEOUT)
    try:
        return fn(*args, **kwargs)
    except ApiException as exc:
        if exc.status == 404:
            raise PluginError(f"{what}: not found") from None
        raise PluginError(f"{what}: {_why(exc)}") from None
    except (HTTPError, OSError) as exc:
        raise PluginError(f"{what}: the API server is unreachable ({type(exc).__name__})") from None


def _why(exc: ApiException) -> str:
    try:
        message = json.loads(exc.body or "{}").get("message")
    except ValueError:
        message = None
    return f"{exc.status} {message or exc.reason}"
