"""mnistq's result store: sweeps, runs, per-epoch metrics and weights in SQL (SQLite or PostgreSQL).

    from db import open_store, session_scope
    from db.queries import get_run
    with session_scope(open_store()) as session:
        run = get_run(session, 42)

Here: opening the store, errors and records. `db.queries`: every query. `db.filters`: the --where language.
`db` imports nothing else of mnistq but the leaf package `core`: it takes plain dicts and values and returns frozen records.
"""

from db.engine import session_scope
from db.errors import (
    ArtifactIntegrityError,
    DatabaseUnavailableError,
    FilterError,
    NotFoundError,
    SchemaError,
    StoreMissingError,
    UserError,
)
from db.policy import LeasePolicy
from db.records import (
    ArtifactRecord,
    EpochRecord,
    Membership,
    NewRun,
    Reaped,
    RunControl,
    RungDecisionRecord,
    RungSummary,
    RunRecord,
    SweepCancelled,
    SweepChanges,
    SweepCounts,
    SweepCreated,
    SweepExtensionRecord,
    SweepRecord,
)
from db.store import dispose_engines, open_store
from db.url import database_url

__all__ = [
    "LeasePolicy",
    "ArtifactIntegrityError",
    "ArtifactRecord",
    "DatabaseUnavailableError",
    "EpochRecord",
    "FilterError",
    "Membership",
    "NewRun",
    "NotFoundError",
    "Reaped",
    "RunControl",
    "RunRecord",
    "RungDecisionRecord",
    "RungSummary",
    "SchemaError",
    "StoreMissingError",
    "SweepCancelled",
    "SweepChanges",
    "SweepCounts",
    "SweepCreated",
    "SweepExtensionRecord",
    "SweepRecord",
    "UserError",
    "database_url",
    "dispose_engines",
    "open_store",
    "session_scope",
]
