r"""Run statuses and the transitions between them.

queued --claim--> running --finish--> completed | diverged | cancelled | pruned
   ^                 |  \--fail(final)--> failed --retry--> queued
   |                 |--fail(not final) / lease expired--> queued
   \--cancel--> cancelled (queued runs; running ones get cancel_requested and stop at their next epoch)

A pruned run was stopped early by every adaptive sweep (ASHA, median stopping) that holds it; it keeps its
history and its checkpoint, and a later sweep that needs it further queues it again from there.
"""

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
DIVERGED = "diverged"
CANCELLED = "cancelled"
PRUNED = "pruned"

STATUSES = (QUEUED, RUNNING, COMPLETED, FAILED, DIVERGED, CANCELLED, PRUNED)
FINISHED = (COMPLETED, FAILED, DIVERGED, CANCELLED, PRUNED)  # terminal: nothing changes them but retry/resubmit
FINISH_STATUSES = (COMPLETED, DIVERGED, CANCELLED, PRUNED)  # what a worker may report for a training that ended
REQUEUEABLE = (FAILED, CANCELLED)  # a resubmitted config in one of these is queued again

ARTIFACT_KINDS = ("final", "checkpoint")

# an adaptive sweep's verdict on a run at a rung (see db.models.RungDecision)
KEPT = "kept"
PRUNED_VERDICT = "pruned"
DIVERGED_VERDICT = "diverged"  # the run diverged before this rung: recorded as its worst result
VERDICTS = (KEPT, PRUNED_VERDICT, DIVERGED_VERDICT)
