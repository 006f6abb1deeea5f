"""Weights in the database: .npz bytes with their SHA-256, verified on every read.

A run has at most one "final" artifact and one "checkpoint" (each save replaces the previous one).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.errors import ArtifactIntegrityError, NotFoundError
from db.models import Artifact
from db.queries.rows import dialect_insert, get_run
from db.records import ArtifactRecord
from db.status import ARTIFACT_KINDS
from db.types import utcnow

ARTIFACT_TABLE = Artifact.__table__
_METADATA = [c for c in ARTIFACT_TABLE.c if c.name != "data"]


def store_artifact(
    session: Session, run_id: int, kind: str, data: bytes, *, format: str = "npz"
) -> ArtifactRecord:
    """Save `data` as `run_id`'s `kind` artifact ("final" or "checkpoint"), replacing any previous one."""
    _check_kind(kind)
    values = {
        "format": format,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "created_at": utcnow(),
        "data": data,
    }
    statement = (
        dialect_insert(session, ARTIFACT_TABLE)
        .values(run_id=run_id, kind=kind, **values)
        .on_conflict_do_update(index_elements=["run_id", "kind"], set_=values)
        .returning(*_METADATA)
    )
    return ArtifactRecord(**session.execute(statement).mappings().one())


def get_artifact(session: Session, run_id: int, kind: str = "final") -> ArtifactRecord | None:
    """The metadata of `run_id`'s `kind` artifact, or None if it has none (the bytes are not read)."""
    _check_kind(kind)
    row = (
        session.execute(select(*_METADATA).where(Artifact.run_id == run_id, Artifact.kind == kind))
        .mappings()
        .first()
    )
    return None if row is None else ArtifactRecord(**row)


def load_artifact(session: Session, run_id: int, kind: str = "final") -> bytes:
    """The bytes of `run_id`'s `kind` artifact, after checking their SHA-256.

    NotFoundError if the run or the artifact does not exist; ArtifactIntegrityError if the bytes changed.
    """
    _check_kind(kind)
    row = session.execute(
        select(Artifact.id, Artifact.sha256, Artifact.size, Artifact.data).where(
            Artifact.run_id == run_id, Artifact.kind == kind
        )
    ).first()
    if row is None:
        run = get_run(session, run_id)
        raise NotFoundError(
            f"run {run_id} has no {kind} weights (status {run.status}); see `mnistq show {run_id}`"
        )
    artifact_id, expected, size, data = row
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ArtifactIntegrityError(
            f"artifact {artifact_id} ({kind} weights of run {run_id}) is corrupt: stored SHA-256 {expected[:16]}..., "
            f"but its {len(data)} bytes (recorded {size}) hash to {actual[:16]}...; retrain the run with "
            f"`mnistq retry --run {run_id}`"
        )
    return data


def delete_artifact(session: Session, run_id: int, kind: str) -> bool:
    """Remove `run_id`'s `kind` artifact (e.g. the checkpoint once the final weights are stored)."""
    _check_kind(kind)
    deleted = session.execute(delete(ARTIFACT_TABLE).where(Artifact.run_id == run_id, Artifact.kind == kind))
    return deleted.rowcount > 0


def _check_kind(kind: str) -> None:
    if kind not in ARTIFACT_KINDS:
        raise ValueError(f"artifact kind {kind!r}: expected one of {', '.join(ARTIFACT_KINDS)}")
