r"""Run statuses and the transitions between them.

queued --claim--> running --finish--> completed | diverged | cancelled
   ^                 |  \--fail(final)--> failed --retry--> queued
   |                 |--fail(not final) / lease expired--> queued
   \--cancel--> cancelled (queued runs; running ones get cancel_requested and stop at their next epoch)
"""

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
DIVERGED = "diverged"
CANCELLED = "cancelled"

STATUSES = (QUEUED, RUNNING, COMPLETED, FAILED, DIVERGED, CANCELLED)
FINISHED = (COMPLETED, FAILED, DIVERGED, CANCELLED)  # terminal: nothing will change them but retry/resubmit
FINISH_STATUSES = (COMPLETED, DIVERGED, CANCELLED)  # what a worker may report for a training that ended
REQUEUEABLE = (FAILED, CANCELLED)  # a resubmitted config in one of these is queued again

ARTIFACT_KINDS = ("final", "checkpoint")
