"""Backups and restores that can be trusted (SECURITY.md §3; README "Backups and restore").

SQLite: SQLite's online backup API (never a plain file copy: a copy of a WAL database taken
while it is written loses data), from one read transaction, so the manifest describes exactly
the snapshot that was copied. PostgreSQL: `pg_dump -Fc` of an exported snapshot, the manifest
read in that same snapshot; `pg_restore --clean --if-exists --single-transaction` to restore.

Every backup is written to a temporary file in the target directory, flushed to disk (fsync),
verified (SQLite: integrity_check, then the copy's row counts and checksums equal the source's),
and only then renamed into place (os.replace), with its manifest: the number of rows and a
SHA-256 over the rows (ordered by primary key) of every table, and the SHA-256 of the file.
A failure (a full disk, a dead server) leaves no partial file and never touches an earlier backup.
`restore` checks the file against its manifest first and the restored database against the
manifest afterwards.

Runs outside requests: it takes a database URL, opens its own connections, never uses db.session.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

FORMAT = "tasharuk-backup/1"
MANIFEST_SUFFIX = ".manifest.json"
EXTENSIONS = {"sqlite": ".sqlite", "postgresql": ".dump"}
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class BackupError(Exception):
    """A backup or restore that failed; the message says what happened and what was kept."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict


# --- the manifest: rows and checksums per table --------------------------------------------------

def _canonical(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _digest_rows(rows) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        line = json.dumps([_canonical(v) for v in row], ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=str)
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, dict]:
    """{table: {"rows", "sha256"}} for every table of a SQLite connection, in its current transaction."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    tables = {}
    for name in names:
        pk = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({_quote(name)})"), key=lambda r: r[5]) if r[5]]
        order = ", ".join(_quote(c) for c in pk) if pk else "rowid"
        # Names come from the database's own catalogue, quoted as identifiers.
        rows, sha = _digest_rows(conn.execute(f"SELECT * FROM {_quote(name)} ORDER BY {order}"))  # nosec B608
        tables[name] = {"rows": rows, "sha256": sha}
    return tables


def postgresql_tables(conn) -> dict[str, dict]:
    """The same for the tables of the current schema of a PostgreSQL connection (SQLAlchemy)."""
    names = list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).scalars())
    tables = {}
    for name in names:
        pk = list(conn.execute(text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)"), {"t": _quote(name)}).scalars())
        if not pk:
            pk = list(conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = :t ORDER BY ordinal_position"), {"t": name}).scalars())
        order = ", ".join(_quote(c) for c in pk)
        result = conn.exec_driver_sql(f"SELECT * FROM {_quote(name)} ORDER BY {order}")  # nosec B608
        rows, sha = _digest_rows(result)
        tables[name] = {"rows": rows, "sha256": sha}
    return tables


def database_tables(url: str | URL) -> dict[str, dict]:
    """Rows and checksums of every table of the database at `url`, as it is now."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            conn.isolation_level = None
            conn.execute("BEGIN")
            try:
                return sqlite_tables(conn)
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            return postgresql_tables(conn)
    finally:
        engine.dispose()


def differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """What differs between the tables of a manifest and those of a database (empty: identical)."""
    problems = []
    for name, want in sorted(expected.items()):
        got = actual.get(name)
        if got is None:
            problems.append(f"table {name}: missing")
        elif got["rows"] != want["rows"]:
            problems.append(f"table {name}: {got['rows']} rows instead of {want['rows']}")
        elif got["sha256"] != want["sha256"]:
            problems.append(f"table {name}: same number of rows ({want['rows']}) but different content")
    return problems


# --- files ---------------------------------------------------------------------------------------

def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system allows it; the renames are done
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is None:
            continue
        for candidate in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()


def _temp_path(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=".tasharuk-backup-", suffix=suffix + ".partial", dir=directory)
    os.close(fd)
    return Path(name)


def _explain(exc: BaseException) -> str:
    err = getattr(exc, "errno", None)
    text_ = str(exc).strip() or type(exc).__name__
    lowered = text_.lower()
    sqlite_code = getattr(exc, "sqlite_errorname", "")
    if (err in _DISK_FULL or sqlite_code in ("SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC")
            or any(word in lowered for word in ("full", "no space", "too large", "signal 25"))):
        return f"the disk is full or a file size limit was reached ({text_})"
    return text_


def _sqlite_path(url: URL) -> str:
    if url.database in (None, "", ":memory:"):
        raise BackupError("the database is in memory: there is no file to back up or restore")
    return url.database


def _conninfo(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v not in (None, ""))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():  # e.g. sslmode, host=/run/postgresql (a socket directory)
        if isinstance(value, str) and key.isidentifier():
            conninfo += f" {key}={quote(value)}"
    return conninfo, env


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH (Debian: apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit status {proc.returncode}"
        if proc.returncode < 0:
            reason = f"killed by signal {-proc.returncode}" + (f" ({reason})" if detail else "")
        raise BackupError(f"{what} failed: {_explain(OSError(reason))}")


# --- backup --------------------------------------------------------------------------------------

def backup(url: str | URL, directory: str | os.PathLike, name: str | None = None,
           now: dt.datetime | None = None) -> BackupResult:
    """Back up the database at `url` into `directory` as NAME.sqlite|.dump plus NAME.manifest.json.

    Raises BackupError (nothing left behind, earlier backups untouched) if anything fails."""
    url = make_url(url)
    backend = url.get_backend_name()
    if backend not in EXTENSIONS:
        raise BackupError(f"cannot back up a {backend} database (SQLite and PostgreSQL only)")
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the backup directory {directory}: {_explain(exc)}") from None
    now = now or dt.datetime.now(dt.timezone.utc)
    name = name or f"tasharuk-{now.strftime('%Y%m%dT%H%M%SZ')}"
    if "/" in name or name.startswith("."):
        raise BackupError("the backup name must be a plain file name")
    final = directory / (name + EXTENSIONS[backend])
    final_manifest = directory / (name + MANIFEST_SUFFIX)
    temp = temp_manifest = None
    try:
        temp = _temp_path(directory, EXTENSIONS[backend])
        if backend == "sqlite":
            tables, details = _backup_sqlite(url, temp)
        else:
            tables, details = _backup_postgresql(url, temp)
        _fsync_file(temp)
        manifest = {
            "format": FORMAT,
            "backend": backend,
            "created_at": now.isoformat(timespec="seconds"),
            "file": final.name,
            "file_bytes": temp.stat().st_size,
            "file_sha256": _sha256_file(temp),
            "total_rows": sum(t["rows"] for t in tables.values()),
            "tables": tables,
            **details,
        }
        temp_manifest = _temp_path(directory, MANIFEST_SUFFIX)
        with open(temp_manifest, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        # Both files are complete and on disk: only now replace anything (renames need no space).
        os.replace(temp, final)
        temp = None
        os.replace(temp_manifest, final_manifest)
        temp_manifest = None
        _fsync_dir(directory)
    except BackupError as exc:
        _remove(temp, temp_manifest)
        raise BackupError(f"{exc}. Nothing was written; earlier backups were not touched.") from None
    except (OSError, sqlite3.Error) as exc:
        _remove(temp, temp_manifest)
        raise BackupError(f"the backup failed: {_explain(exc)}. Nothing was written; earlier backups were not "
                          "touched.") from None
    except BaseException:
        _remove(temp, temp_manifest)
        raise
    return BackupResult(final, final_manifest, manifest)


def _backup_sqlite(url: URL, temp: Path) -> tuple[dict, dict]:
    source_path = _sqlite_path(url)
    if not os.path.exists(source_path):
        raise BackupError(f"the database file {source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    target = None
    try:
        source.isolation_level = None
        source.execute("PRAGMA busy_timeout=30000")
        # One read transaction: the checksums and the copy describe the same snapshot, whatever
        # is written meanwhile (WAL lets writers go on).
        source.execute("BEGIN")
        expected = sqlite_tables(source)
        target = sqlite3.connect(temp)
        source.backup(target)
        source.execute("ROLLBACK")
        # A self-contained file: no -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE").fetchone()
        target.commit()
        check = target.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            raise BackupError(f"the copy failed its integrity check: {check[:3]}")
        target.isolation_level = None
        target.execute("BEGIN")
        copied = sqlite_tables(target)
        target.execute("ROLLBACK")
        problems = differences(expected, copied)
        if problems or set(copied) != set(expected):
            raise BackupError("the copy differs from the database: " + "; ".join(problems or ["tables differ"]))
        return expected, {"sqlite_version": sqlite3.sqlite_version}
    finally:
        if target is not None:
            target.close()
        source.close()


def _backup_postgresql(url: URL, temp: Path) -> tuple[dict, dict]:
    pg_dump = _binary("pg_dump")
    pg_restore = _binary("pg_restore")
    conninfo, env = _conninfo(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            # Export this transaction's snapshot: pg_dump reads exactly what the manifest describes.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = postgresql_tables(conn)
            version = conn.execute(text("SHOW server_version")).scalar_one()
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={temp}",
                  f"--dbname={conninfo}"], env, "pg_dump")
    except BackupError:
        raise
    except Exception as exc:  # noqa: BLE001 - a dead server, refused connection...
        if isinstance(exc, OSError):
            raise
        raise BackupError(f"cannot read the database: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    # The archive must be readable: its table of contents lists every table of the manifest.
    proc = subprocess.run([pg_restore, "--list", str(temp)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"the dump is not readable by pg_restore: {proc.stderr.strip()}")
    listed = {line.split()[-2] for line in proc.stdout.splitlines() if " TABLE DATA " in line}
    missing = set(tables) - listed
    if missing:
        raise BackupError(f"the dump lacks the data of: {', '.join(sorted(missing))}")
    return tables, {"server_version": version}


# --- restore -------------------------------------------------------------------------------------

def read_manifest(backup_path: str | os.PathLike) -> tuple[Path, dict]:
    path = Path(backup_path)
    for suffix in EXTENSIONS.values():
        if path.name.endswith(suffix):
            manifest_path = path.with_name(path.name[: -len(suffix)] + MANIFEST_SUFFIX)
            break
    else:
        raise BackupError(f"{path}: not a backup file (.sqlite or .dump)")
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{manifest_path}: cannot read the manifest ({exc})") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{manifest_path}: not a manifest of {FORMAT}")
    return manifest_path, manifest


def verify_file(backup_path: str | os.PathLike) -> dict:
    """Check a backup file against its manifest (checksum of the file; SQLite: also its content)."""
    path = Path(backup_path)
    _manifest_path, manifest = read_manifest(path)
    if _sha256_file(path) != manifest["file_sha256"]:
        raise BackupError(f"{path}: the file does not match its manifest (damaged or replaced)")
    if manifest["backend"] == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"{path}: integrity check failed: {check[:3]}")
            problems = differences(manifest["tables"], sqlite_tables(conn))
        finally:
            conn.close()
        if problems:
            raise BackupError(f"{path}: " + "; ".join(problems))
    return manifest


def restore(url: str | URL, backup_path: str | os.PathLike) -> dict:
    """Replace the content of the database at `url` by the backup, then verify it against the
    manifest. Returns the manifest. The app must not be serving meanwhile (stop it first)."""
    url = make_url(url)
    backend = url.get_backend_name()
    manifest = verify_file(backup_path)
    if manifest["backend"] != backend:
        raise BackupError(f"this is a {manifest['backend']} backup; the database is {backend}")
    if backend == "sqlite":
        _restore_sqlite(url, Path(backup_path))
    else:
        _restore_postgresql(url, Path(backup_path))
    problems = differences(manifest["tables"], database_tables(url))
    if problems:
        raise BackupError("the restored database does not match the manifest: " + "; ".join(problems))
    return manifest


def _restore_sqlite(url: URL, path: Path) -> None:
    target_path = _sqlite_path(url)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        target.execute("PRAGMA busy_timeout=30000")
        # The backup API again, into the live file: page by page under SQLite's locks, so other
        # connections see either the old or the restored database (a WAL database stays WAL).
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {_explain(exc)}") from None
    finally:
        target.close()
        source.close()


def _restore_postgresql(url: URL, path: Path) -> None:
    conninfo, env = _conninfo(url)
    _run([_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={conninfo}", str(path)], env, "pg_restore")
