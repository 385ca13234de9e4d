"""Every timing the operator chooses, in one place, each with why it has its value."""

# Plain values only (no I/O imports), at the bottom of the layers so every package can read them.
# Not here: the spec's defaults (drainPeriod, maxWait, checkInterval, rollout timeout), which are
# the CRD's API (rotation/model/spec.py, rotation/validation.py); the simulator's Adobe (sim/).

from __future__ import annotations

from datetime import timedelta

# -- backoff (rotation/backoff.py builds the schedules from these) ------------------------------
# A failing action is tried again 5 s after its first failure, doubling per failure: a blip
# costs seconds, an outage settles at one attempt per BACKOFF_CAP.
BACKOFF_BASE = timedelta(seconds=5)
# At most one attempt per 5 minutes per failing action: an outage of hours costs 12-15 calls an
# hour per credential, and recovery is noticed within 5 minutes.
BACKOFF_CAP = timedelta(minutes=5)
# Adobe's Retry-After is honoured up to this long, for every caller (the shared limiter's pause)
# and for the refused credential's next attempt: a day-long or bogus value cannot stop rotations
# for a day; if Adobe still throttles then, the next 429 pauses again.
RETRY_AFTER_CAP = timedelta(minutes=10)
# A server may say anything in Retry-After; more than this is read as this (RETRY_AFTER_CAP then
# caps it further), so no answer can make the operator compute with an unrepresentable delay.
MAX_RETRY_AFTER = timedelta(days=1)
# A status write lost to a concurrent change is retried after about a second: the next pass
# re-reads the resource and usually succeeds at once.
CONFLICT_BACKOFF_BASE = timedelta(seconds=1)
# Conflicts in a row back off to at most 30 s, not BACKOFF_CAP: a conflict means the resource is
# being changed (by a person or another writer), and what changed should be acted on soon.
CONFLICT_BACKOFF_CAP = timedelta(seconds=30)

# -- the state machine (rotation/machine) --------------------------------------------------------
# A secret missing from the list taken right before our add, and created no earlier than this
# before the add was sent, is ours: Adobe's clock and ours are not the same clock.
CLOCK_SKEW = timedelta(minutes=1)
# How often a rollout in progress is looked at (more often if spec.checkInterval is shorter): a
# look reads the workloads only, no Adobe call. Five times this: how often a wait for another
# operator's recorded action looks again.
ROLLOUT_POLL = timedelta(seconds=2)
# A failed rotation (or restore) is tried again after an hour, not at the next pass: each
# attempt may add a client secret in Adobe.
FAILED_ROTATION_RETRY = timedelta(hours=1)
# A recorded action of another operator is waited for this long before it counts as abandoned;
# the caller bounds every action well below it (ACTION_TIMEOUT).
ACTION_LEASE = timedelta(minutes=2)

# -- claims (rotation/claims.py, handlers/ownership.py) -----------------------------------------
# Our own claim has not come back through the watch yet: look again soon.
NOT_VISIBLE_POLL = timedelta(milliseconds=500)
# Two resources asked at once and both withdrew: try again after 1 to 3 s, spread apart.
CONTENDED_RETRY_BASE = timedelta(seconds=1)
CONTENDED_RETRY_SPREAD = timedelta(seconds=2)
# How long a check waits for the watch to bring back the claim just written (no API request
# while it waits); longer, and the machine asks again on a later pass.
VISIBLE_WAIT = timedelta(seconds=10)
VISIBLE_POLL = timedelta(milliseconds=50)

# -- one reconcile pass (handlers/reconcile.py) --------------------------------------------------
# A pass that hit its action limit (a logic loop) looks again after this, not at once.
PASS_LIMIT_RETRY = timedelta(seconds=30)
# A spec the operator cannot use is looked at again after this (an edit wakes it at once).
INVALID_SPEC_RETRY = timedelta(minutes=1)
# Every action is bounded well below ACTION_LEASE (test_reconcile_run checks 1.5x), so another
# operator waiting on a recorded action never takes over one that still runs.
ACTION_TIMEOUT = timedelta(seconds=75)
# Releasing the in-flight record on shutdown is best effort: a stopping operator does not hang.
RELEASE_TIMEOUT_S = 5.0
# A step expected to wait this long for the shared Adobe request budget says so in status first.
WAIT_WORTH_SAYING = timedelta(seconds=2)

# -- the daemon (handlers/kopf_app.py) -------------------------------------------------------------
# How long an idle resource sleeps before it is looked at again even without an event. The
# resource itself comes from the watch; an idle look reads the application and the pending
# Secret (2 requests), so 2 h keeps the idle load at 1 request per credential per hour and
# notices a Secret edited outside the operator within 2 h (at once when the resource or
# the operator changes).
RESYNC_INTERVAL = timedelta(hours=2)
# No pass runs again at once: even "look again now" waits this long.
MIN_SLEEP = timedelta(milliseconds=200)
# kopf takes longer with thousands of new resources at once (5,000: more than 5 s).
BOOKKEEPING_WAIT = timedelta(seconds=30)
BOOKKEEPING_POLL = timedelta(milliseconds=100)
# kopf cancels a daemon this long after asking it to stop: a pass cut off resumes from status.
DAEMON_CANCELLATION_TIMEOUT = timedelta(seconds=10)
# How long a deletion waits for the resource's daemon to stop before cleaning up anyway: more
# than DAEMON_CANCELLATION_TIMEOUT, so it normally sees the daemon's last step.
DAEMON_STOP_WAIT = timedelta(seconds=15)
# The finalizer never holds a deletion longer than this, even with Adobe unreachable.
CLEANUP_TIMEOUT = timedelta(seconds=30)

# -- talking to Adobe and Kubernetes --------------------------------------------------------------
# A hung Adobe call fails (as transient, so the backoff retries it) well inside ACTION_TIMEOUT.
ADOBE_READ_TIMEOUT = timedelta(seconds=30)
ADOBE_CONNECT_TIMEOUT = timedelta(seconds=10)
# A hung API server must not hold a reconcile pass and a thread forever.
KUBE_CONNECT_TIMEOUT = timedelta(seconds=5)
KUBE_READ_TIMEOUT = timedelta(seconds=30)
# A cached IMS token of the operator is used until this long (or a tenth of its lifetime, if more)
# before it expires: no call goes out with a token about to expire.
IMS_TOKEN_MARGIN = timedelta(minutes=5)
# IMS tokens live 24 h (expires_in 86399). A longer claim is cut to this, so a refresh comes too
# early rather than never (and a huge number cannot overflow a datetime); a shorter lifetime is
# believed as it is: raising it would keep a token after it expired.
MAX_IMS_TOKEN_LIFETIME = timedelta(hours=48)
# A 429 without a usable Retry-After still pauses every Adobe request this long.
THROTTLE_PAUSE = timedelta(seconds=1)

# -- the process ----------------------------------------------------------------------------------
# Memory freed after a burst is given back within a minute; a trim is cheap when idle.
TRIM_EVERY = timedelta(minutes=1)
