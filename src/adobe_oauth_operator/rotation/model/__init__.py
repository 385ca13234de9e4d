"""Typed views of an AdobeOAuthCredential's spec and status, and their wire (dict) forms.

spec: the parsed spec; records and status: what status holds; codec: the wire form of status;
timestamps: how status writes times. Everything is imported from here.
"""

from __future__ import annotations

from adobe_oauth_operator.rotation.model.codec import claim_from_dict
from adobe_oauth_operator.rotation.model.records import (
    AccessTokenStatus,
    Claim,
    CredentialIds,
    HistoryEntry,
    InFlight,
    JobConsumer,
    JobKind,
    Phase,
    Retry,
    Rotation,
    SecretMeta,
    Step,
    TargetProgress,
    TokenFailure,
    Trigger,
)
from adobe_oauth_operator.rotation.model.spec import (
    DEFAULT_TOKEN_KEY,
    MIN_CHECK_INTERVAL,
    AccessTokenSpec,
    OnDrift,
    OnStillInUse,
    Spec,
    Target,
)
from adobe_oauth_operator.rotation.model.status import HISTORY_LIMIT, Status
from adobe_oauth_operator.rotation.model.timestamps import EPOCH

__all__ = [
    "DEFAULT_TOKEN_KEY",
    "EPOCH",
    "HISTORY_LIMIT",
    "MIN_CHECK_INTERVAL",
    "AccessTokenSpec",
    "AccessTokenStatus",
    "Claim",
    "CredentialIds",
    "HistoryEntry",
    "InFlight",
    "JobConsumer",
    "JobKind",
    "OnDrift",
    "OnStillInUse",
    "Phase",
    "Retry",
    "Rotation",
    "SecretMeta",
    "Spec",
    "Status",
    "Step",
    "Target",
    "TargetProgress",
    "TokenFailure",
    "Trigger",
    "claim_from_dict",
]
