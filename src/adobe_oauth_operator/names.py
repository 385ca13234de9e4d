"""Every name the operator puts on the wire: its API, field manager, annotations and labels.

One home for them, as cert-manager keeps its annotation keys in one types.go: the kube layer,
the handlers and the tests import these, so a key can never be spelled two ways. Changing a value
here changes the operator's contract with existing clusters (annotations on live objects, label
selectors, RBAC, the CRD): treat every value as a released API.
"""

from __future__ import annotations

# -- the AdobeOAuthCredential API --------------------------------------------------------------
GROUP = "adobe-oauth-operator.dev"
VERSION = "v1beta1"
PLURAL = "adobeoauthcredentials"
KIND = "AdobeOAuthCredential"
API_VERSION = f"{GROUP}/{VERSION}"

# The field manager of every write, and the component recorded in Events.
FIELD_MANAGER = "adobe-oauth-operator"
EVENT_COMPONENT = "adobe-oauth-operator"

# -- annotations ------------------------------------------------------------------------------
# Also the prefix of kopf's own progress and diff-base annotations.
ANNOTATION_PREFIX = GROUP

# On an AdobeOAuthCredential, set by users: request a rotation (any new value), make it an
# emergency ("true").
ROTATE_ANNOTATION = f"{ANNOTATION_PREFIX}/rotate"
EMERGENCY_ANNOTATION = f"{ANNOTATION_PREFIX}/emergency"
# kopf's finalizer on an AdobeOAuthCredential.
FINALIZER = f"{ANNOTATION_PREFIX}/finalizer"
# kopf's diff-base annotation key (under ANNOTATION_PREFIX).
KOPF_DIFFBASE_KEY = "last-handled-configuration"

# On pod templates (the restart stamp), the application Secret and the pending Secret: the
# rotation that wrote them.
ROTATION_ID_ANNOTATION = f"{ANNOTATION_PREFIX}/rotation-id"
# On the application Secret and the pending Secret: Adobe's uuid of the client secret they hold.
SECRET_UUID_ANNOTATION = f"{ANNOTATION_PREFIX}/secret-uuid"
# On the application Secret: the AdobeOAuthCredential that holds it ("<namespace>/<name>/<uid>"),
# written at adoption; another resource naming the Secret waits (SecretClaimed) until it lets go.
OWNER_ANNOTATION = f"{ANNOTATION_PREFIX}/owner"
# Only ever sent in a server-side dry-run patch of the application Secret; never stored.
PREFLIGHT_ANNOTATION = f"{ANNOTATION_PREFIX}/preflight"

# -- labels of the pending Secret -------------------------------------------------------------
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "adobe-oauth-operator"
CREDENTIAL_LABEL = f"{ANNOTATION_PREFIX}/credential"
PENDING_LABEL = f"{ANNOTATION_PREFIX}/pending"
PENDING_LABEL_VALUE = "true"

# -- the pending Secret -----------------------------------------------------------------------
# Named <credential name><PENDING_SUFFIX> (shortened with a hash when too long); holds the new
# client secret under PENDING_VALUE_KEY.
PENDING_SUFFIX = "-pending"
PENDING_VALUE_KEY = "clientSecret"

# -- the access token Secret (spec.accessToken) -------------------------------------------------
# Created and owned by the operator; labelled like the pending Secret plus ACCESS_TOKEN_LABEL.
# Holds the token under spec.accessToken.key and its expiry (RFC 3339) under EXPIRES_AT_KEY.
ACCESS_TOKEN_LABEL = f"{ANNOTATION_PREFIX}/access-token"
ACCESS_TOKEN_LABEL_VALUE = "true"
EXPIRES_AT_KEY = "ADOBE_ACCESS_TOKEN_EXPIRES_AT"
# On pod templates of workloads that read the token Secret through env: the refresh that restarted
# them (a mounted file is updated in place, so volume readers are never restarted).
TOKEN_REFRESH_ANNOTATION = f"{ANNOTATION_PREFIX}/access-token-refresh"
# -- the known-good copy ----------------------------------------------------------------------
# Named <credential name><KNOWN_GOOD_SUFFIX>: the client id and secret the application Secret held
# when the operator last verified them (spec.rotation.onDrift: Rotate), so a Secret overwritten
# with a value Adobe refuses can be rotated back to a working one.
KNOWN_GOOD_SUFFIX = "-known-good"
KNOWN_GOOD_LABEL = f"{ANNOTATION_PREFIX}/known-good"
KNOWN_GOOD_CLIENT_ID_KEY = "clientId"
KNOWN_GOOD_VALUE_KEY = "clientSecret"

# -- the operator's own Secret ----------------------------------------------------------------
# In the operator's namespace: the key of the HMAC that status keeps of the client id and secret
# the application Secret holds, so a change made behind the operator's back is noticed without
# storing anything that could be reversed or compared offline.
HMAC_SECRET_NAME = "adobe-oauth-operator-hmac"
HMAC_SECRET_KEY = "key"
