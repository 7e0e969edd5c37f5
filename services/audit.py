"""The append-only, hash-chained audit log of staff actions."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text

from extensions import db
from models import AuditEntry
from models._base import utcnow

GENESIS = "0" * 64


def _canonical(entry_fields: dict) -> str:
    return json.dumps(entry_fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _entry_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


def _fields(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": entry.created_at.isoformat(timespec="microseconds"),
        "commune": entry.commune_id,
        "actor": entry.actor_id,
        "action": entry.action,
        "target_kind": entry.target_kind,
        "target_id": entry.target_id,
        "details": entry.details,
    }


def record(
    action: str,
    *,
    actor_id: int | None,
    commune_id: int | None,
    target_kind: str | None = None,
    target_id: int | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry, chained to the last one.

    Called inside the caller's write transaction; on SQLite that transaction
    holds the write lock (BEGIN IMMEDIATE) and on PostgreSQL an advisory lock
    is taken, so two writers never chain to the same predecessor.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # One chain, one writer at a time: a transaction-scoped advisory lock.
        db.session.execute(text("SELECT pg_advisory_xact_lock(7351001)"))
    last = db.session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    next_id = (last.id + 1) if last else 1
    entry = AuditEntry(
        id=next_id,
        created_at=utcnow(),
        commune_id=commune_id,
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        details=_canonical(details or {}),
        prev_hash=prev_hash,
    )
    entry.hash = _entry_hash(prev_hash, _fields(entry))
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None


def verify() -> VerifyResult:
    """Walk the chain; report the first entry whose hash, link or id sequence is wrong."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        if entry.id != expected_id:
            return VerifyResult(False, checked, expected_id, "missing entry")
        if entry.prev_hash != prev_hash:
            return VerifyResult(False, checked, entry.id, "broken link")
        if _entry_hash(prev_hash, _fields(entry)) != entry.hash:
            return VerifyResult(False, checked, entry.id, "edited entry")
        prev_hash = entry.hash
        expected_id += 1
        checked += 1
    return VerifyResult(True, checked)
