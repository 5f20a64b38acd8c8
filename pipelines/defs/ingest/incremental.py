"""Whether a core table must be validated again, wholly, in part or not at all.

A core table's rows depend on its feed's files (name, SHA-256 and modification time, which
orders later exports), ``BT_AS_OF``, the validation code, the erasure ledger and the core
tables its rules look up. After each validation that state is recorded in
``meta.builds``; the next run compares it with the current one:

* **current**: nothing changed, the table is kept as it is (no row is read);
* **increment**: only new files were added, each ordered after every earlier file, and
  nothing else changed: only the new files' rows are validated and merged (new rows win
  over older rows with the same key, exactly as in a full validation);
* **full**: anything else (a changed, touched or removed file, another ``BT_AS_OF``, new
  erasures, a changed participant or match the rules look up, new code).

``tests/e2e/test_incremental.py`` checks that every path gives the tables a full run gives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.contract import Feed

#: The core tables each feed's rules look up (validate.py's joins).
LOOKUPS: dict[str, tuple[str, ...]] = {
    "registrations": (),
    "matches": ("core.participants",),
    "feedback": ("core.participants", "core.matches"),
    "surveys": ("core.participants",),
}


def source_digest(*paths: Path) -> str:
    """SHA-256 of source files (``.py`` files of a folder): the code a result was built with."""
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()


_HERE = Path(__file__).resolve().parent
#: The code a core table is built with: validation, reading, the contract and its vocabulary.
CODE_VERSION = source_digest(
    _HERE / "validate.py",
    _HERE / "read.py",
    _HERE.parents[1] / "contract.py",
    _HERE.parents[1] / "interests.csv",
)


@dataclass(frozen=True)
class BuildState:
    """What one core table was (or would be) built from."""

    files: tuple[tuple[str, str, int], ...]  # (name, sha256, mtime_ns), in file order
    inputs: str  # digest of BT_AS_OF, code, erasure ledger and looked-up core tables


@dataclass(frozen=True)
class Decision:
    mode: str  # "current", "increment" or "full"
    new_files: tuple[str, ...] = ()


def ensure_builds_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS meta.builds (
            asset VARCHAR PRIMARY KEY, files VARCHAR, inputs VARCHAR, built_at TIMESTAMPTZ)"""
    )


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.table`` exists in the warehouse."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name || '.' || table_name = ?",
            [table],
        ).fetchall()[0][0]
    )


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """An order-independent digest of every row of ``table`` (sum of 64-bit row hashes)."""
    if not table_exists(con, table):
        return f"{table}:missing"
    n, total = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {table} t").fetchall()[0]
    return f"{table}:{n}:{total}"


def current_state(con: duckdb.DuckDBPyConnection, feed: Feed, as_of: date) -> BuildState:
    """The state a validation of ``feed`` would build from now."""
    files = tuple(
        (name, sha, int(mtime))
        for name, sha, mtime in con.execute(
            """SELECT file_name, sha256, mtime_ns FROM meta.source_files WHERE feed = ?
            ORDER BY mtime_ns, file_name""",
            [feed.name],
        ).fetchall()
    )
    parts = [
        as_of.isoformat(),
        CODE_VERSION,
        table_digest(con, "meta.erasure_ledger"),
        *(table_digest(con, t) for t in LOOKUPS[feed.name]),
    ]
    return BuildState(files, hashlib.sha256("\n".join(parts).encode()).hexdigest())


def previous_state(con: duckdb.DuckDBPyConnection, feed: Feed) -> BuildState | None:
    ensure_builds_table(con)
    row = con.execute(
        "SELECT files, inputs FROM meta.builds WHERE asset = ?", [f"core_{feed.core_table}"]
    ).fetchall()
    if not row:
        return None
    files, inputs = row[0]
    return BuildState(tuple((n, s, int(m)) for n, s, m in json.loads(files)), inputs)


def record_state(con: duckdb.DuckDBPyConnection, feed: Feed, state: BuildState) -> None:
    ensure_builds_table(con)
    con.execute(
        "INSERT OR REPLACE INTO meta.builds VALUES (?, ?, ?, now())",
        [f"core_{feed.core_table}", json.dumps([list(f) for f in state.files]), state.inputs],
    )


def decide(previous: BuildState | None, current: BuildState) -> Decision:
    """current, increment (with the new files) or full; see the module docstring."""
    if previous is None or previous.inputs != current.inputs:
        return Decision("full")
    if previous.files == current.files:
        return Decision("current")
    old = set(previous.files)
    if not old <= set(current.files):
        return Decision("full")  # a file changed, was touched or left the inbox
    new = [f for f in current.files if f not in old]
    last_old = max(((m, n) for n, _, m in previous.files), default=None)
    if last_old is not None and any((m, n) <= last_old for n, _, m in new):
        return Decision("full")  # a new file sorts before an old one: winners may change
    return Decision("increment", tuple(n for n, _, _ in new))


def recorded_inputs(con: duckdb.DuckDBPyConnection, asset: str) -> str | None:
    """The inputs digest recorded when ``asset`` was last built, if any."""
    ensure_builds_table(con)
    row = con.execute("SELECT inputs FROM meta.builds WHERE asset = ?", [asset]).fetchall()
    return row[0][0] if row else None


def recorded_detail(con: duckdb.DuckDBPyConnection, asset: str) -> str | None:
    """What was recorded with ``asset``'s inputs (the ``files`` column), if anything."""
    ensure_builds_table(con)
    row = con.execute("SELECT files FROM meta.builds WHERE asset = ?", [asset]).fetchall()
    return row[0][0] if row else None


def record_inputs(
    con: duckdb.DuckDBPyConnection, asset: str, inputs: str, detail: str = "[]"
) -> None:
    """Record what ``asset`` (or a check: ``check <asset> <name>``) was built from.

    ``detail`` goes into the ``files`` column: the files for a core table, a check's
    remembered result (JSON of plain counts, no data values) for a check.
    """
    ensure_builds_table(con)
    con.execute(
        "INSERT OR REPLACE INTO meta.builds VALUES (?, ?, ?, now())", [asset, detail, inputs]
    )
