"""Run the blocking kubernetes client off the event loop and translate its errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from adobe_oauth_operator.kube.errors import from_api_exception, unreachable
from adobe_oauth_operator.timings import KUBE_CONNECT_TIMEOUT, KUBE_READ_TIMEOUT

MERGE_PATCH = "application/merge-patch+json"
# (connect, read) seconds, as the client takes them.
REQUEST_TIMEOUT = (KUBE_CONNECT_TIMEOUT.total_seconds(), KUBE_READ_TIMEOUT.total_seconds())


async def call_json(what: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call `fn` in a thread and return the response as plain JSON (camelCase keys).

    `what` names the operation in errors, e.g. "read Secret ns/name".
    """
    kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
    data = await asyncio.to_thread(_call, what, fn, *args, _preload_content=False, **kwargs)
    return json.loads(data) if data else None


def _call(what: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> bytes:
    """The raw body, read in the calling thread: the event loop never waits on a socket, and
    the connection is back in the pool (sized like the thread pool) before the thread is."""
    try:
        return bytes(fn(*args, **kwargs).data)
    except ApiException as exc:
        # from None: the ApiException's text includes the whole response body and headers.
        raise from_api_exception(what, exc) from None
    except (HTTPError, OSError) as exc:
        raise unreachable(what, exc) from None
