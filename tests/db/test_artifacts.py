"""Weights stored in the database, verified by SHA-256 on every read."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import update

from core.errors import UserError
from db.engine import session_scope
from db.errors import ArtifactIntegrityError, NotFoundError
from db.models import Artifact
from db.queries import create_sweep, delete_artifact, get_artifact, load_artifact, store_artifact

WEIGHTS = bytes(range(256)) * 4096  # 1 MiB, every byte value


@pytest.fixture
def run_id(store, new_run):
    with session_scope(store) as session:
        return create_sweep(session, "s", {}, [new_run(1)]).run_ids[0]


def test_final_weights_round_trip_with_their_digest(store, run_id):
    with session_scope(store) as session:
        record = store_artifact(session, run_id, "final", WEIGHTS)
    assert (record.run_id, record.kind, record.format, record.size) == (run_id, "final", "npz", len(WEIGHTS))
    assert record.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    with session_scope(store) as session:
        assert load_artifact(session, run_id) == WEIGHTS
        assert get_artifact(session, run_id, "final") == record


def test_each_checkpoint_replaces_the_previous_one(store, run_id):
    with session_scope(store) as session:
        first = store_artifact(session, run_id, "checkpoint", b"epoch 1")
        second = store_artifact(session, run_id, "checkpoint", b"epoch 2")
        assert second.id == first.id and second.size == 7
        assert load_artifact(session, run_id, "checkpoint") == b"epoch 2"
        assert delete_artifact(session, run_id, "checkpoint") is True
        assert get_artifact(session, run_id, "checkpoint") is None


def test_a_tampered_artifact_raises_a_clear_error_naming_the_run(store, run_id):
    with session_scope(store) as session:
        record = store_artifact(session, run_id, "final", WEIGHTS)
        session.execute(update(Artifact).where(Artifact.id == record.id).values(data=WEIGHTS[:-1] + b"\x00"))
    with pytest.raises(ArtifactIntegrityError) as info, session_scope(store) as session:
        load_artifact(session, run_id)
    message = str(info.value)
    assert f"artifact {record.id} (final weights of run {run_id}) is corrupt" in message
    assert record.sha256[:16] in message and "\n" not in message
    assert isinstance(info.value, UserError)


def test_missing_artifacts_and_runs_are_user_errors(store, run_id):
    with session_scope(store) as session:
        with pytest.raises(NotFoundError, match=rf"run {run_id} has no final weights \(status queued\)"):
            load_artifact(session, run_id)
        with pytest.raises(NotFoundError, match="no run 999"):
            load_artifact(session, 999)
        with pytest.raises(ValueError, match="artifact kind 'best'"):
            store_artifact(session, run_id, "best", b"")
