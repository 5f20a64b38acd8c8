"""GDPR Art. 17 erasure: a ledger of hashed ids and a purge of every warehouse table.

The ledger ``meta.erasure_ledger`` holds SHA-256 hashes only (``kind`` = participant or match),
so it can live forever without holding anyone's id. Every run purges every table that names
an erased participant or one of their matches, so a later export that repeats an erased
person does not bring them back, even after the erasures file has left the inbox.

A purge normally looks at every table. When the ledger has not changed since the last purge,
every table but the raw rows read since then is already clean: only those rows are purged
(:func:`purge_scope` says when that holds), which keeps a daily run from scanning every row.
The ``erasure_complete`` check still looks at every table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.contract import trim_sql
from pipelines.defs.ingest.incremental import ensure_builds_table, source_digest

#: Columns that hold a participant id / a match id, wherever they appear.
PERSON_COLUMNS = ("participant_id", "newcomer_id", "local_id")
MATCH_COLUMN = "match_id"
PURGED_SCHEMAS = ("raw", "quarantine", "core", "marts")


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger if this warehouse has none yet."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS meta.erasure_ledger (
            id_hash VARCHAR NOT NULL, kind VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (id_hash, kind))"""
    )


def record_requests(con: duckdb.DuckDBPyConnection, accepted_table: str) -> int:
    """Add the hashes of the accepted requests' ids (trimmed); returns how many people were new."""
    ensure_ledger(con)
    before = con.execute("SELECT count(*) FROM meta.erasure_ledger").fetchone()[0]
    con.execute(
        f"""INSERT INTO meta.erasure_ledger
        SELECT DISTINCT sha256({trim_sql("participant_id")}), 'participant', now() FROM {accepted_table}
        ON CONFLICT DO NOTHING"""
    )
    return con.execute("SELECT count(*) FROM meta.erasure_ledger").fetchone()[0] - before


def _erased_ids(
    con: duckdb.DuckDBPyConnection,
    temp: str,
    cols: list[tuple[str, str, str]],
    kind: str,
    where: str = "",
) -> None:
    """Temp table ``temp`` of the clear ids in ``cols`` whose hash is in the ledger as ``kind``.

    Each distinct id is hashed once (not every row), and the clear ids live only in a
    temporary table of this connection. ``where`` narrows the rows looked at. Ids are
    hashed trimmed, as the ledger's are: validation reads a feedback row's ` m1 ` as the
    match m1, and a valid id holds no space, so an id written with surrounding spaces
    names the same person or match.
    """
    con.execute(f"DROP TABLE IF EXISTS {temp}")
    if not cols:
        con.execute(f"CREATE TEMP TABLE {temp} (id VARCHAR)")
        return
    # Hashing each column's distinct ids (SHA-256 is cheap next to DISTINCT) beats first
    # merging the columns' distinct sets, which are large, into one.
    ledger = f"(SELECT id_hash FROM meta.erasure_ledger WHERE kind = '{kind}')"
    erased = " UNION ".join(
        f"""SELECT id FROM (SELECT DISTINCT "{c}" AS id FROM {s}.{t} {where})
        WHERE id IS NOT NULL AND sha256({trim_sql("id")}) IN {ledger}"""
        for s, t, c in cols
    )
    con.execute(f"CREATE TEMP TABLE {temp} AS {erased}")


def _ragged_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Tables with ``_raw_line``: a CSV row with too few or too many fields kept whole."""
    schemas = ", ".join(f"'{s}'" for s in PURGED_SCHEMAS)
    return con.execute(
        f"""SELECT table_schema, table_name FROM information_schema.columns
        WHERE table_schema IN ({schemas}) AND column_name = '_raw_line'
          AND table_catalog = current_database() ORDER BY ALL"""
    ).fetchall()


def _names_erased_in_raw_line(schema: str, table: str, scope: str) -> str:
    """Condition: the row's ``_raw_line`` has a field whose hash is in the ledger.

    A ragged row's fields cannot be told apart by column, so every comma-separated field
    (quotes and white space trimmed) is hashed; ids hold no comma or quote.
    """
    return f"""_raw_line IN (
        SELECT line FROM (
            SELECT _raw_line AS line, unnest(string_split(_raw_line, ',')) AS field
            FROM {schema}.{table} WHERE _raw_line IS NOT NULL AND {scope})
        WHERE sha256({trim_sql("field", also='"')})
              IN (SELECT id_hash FROM meta.erasure_ledger))"""


def _id_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    schemas = ", ".join(f"'{s}'" for s in PURGED_SCHEMAS)
    names = ", ".join(f"'{c}'" for c in (*PERSON_COLUMNS, MATCH_COLUMN))
    return con.execute(
        f"""SELECT table_schema, table_name, column_name FROM information_schema.columns
        WHERE table_schema IN ({schemas}) AND column_name IN ({names})
          AND data_type = 'VARCHAR' AND table_catalog = current_database()
        ORDER BY ALL"""
    ).fetchall()


def ledger_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the whole ledger (and of this module's code, which defines the purge)."""
    ensure_ledger(con)
    n, total = con.execute(
        "SELECT count(*), sum(hash(id_hash, kind)::HUGEINT) FROM meta.erasure_ledger"
    ).fetchall()[0]
    return hashlib.sha256(f"{n}:{total}:{CODE_VERSION}".encode()).hexdigest()


CODE_VERSION = source_digest(Path(__file__))
PURGE_STATE = "erasure_purge"


def purge_scope(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The files whose raw rows alone need purging, or None when every table must be.

    Only new rows can name an erased person when (1) the ledger is what it was after the
    last purge, so every row that was there then is clean, and (2) no core table was
    validated after a file that has not been purged yet was read (core and quarantine
    rows, and the marts built from them, then all come from purged raw rows). New rows
    are the rows of files read since the last purge (erasure files are read every run) or
    not in the inbox, by name and content, at the last purge.
    """
    ensure_builds_table(con)
    row = con.execute(
        "SELECT files, inputs, built_at FROM meta.builds WHERE asset = ?", [PURGE_STATE]
    ).fetchall()
    if not row or row[0][1] != ledger_digest(con):
        return None
    purged = {tuple(f) for f in json.loads(row[0][0])}
    last_purge = row[0][2]
    new = {
        name: ingested_at
        for name, sha, ingested_at in con.execute(
            "SELECT file_name, sha256, ingested_at FROM meta.source_files ORDER BY ALL"
        ).fetchall()
        if (name, sha) not in purged or ingested_at >= last_purge
    }
    if not new:
        return []
    first_new = min(new.values())
    core_after = con.execute(
        "SELECT count(*) FROM meta.builds WHERE asset LIKE 'core\\_%' ESCAPE '\\' "
        "AND built_at >= ?",
        [first_new],
    ).fetchall()[0][0]
    return None if core_after else list(new)


def record_purge(con: duckdb.DuckDBPyConnection) -> None:
    """Remember the ledger and the files whose rows every table has been purged of."""
    ensure_builds_table(con)
    files = con.execute("SELECT file_name, sha256 FROM meta.source_files ORDER BY ALL").fetchall()
    con.execute(
        "INSERT OR REPLACE INTO meta.builds VALUES (?, ?, ?, now())",
        [PURGE_STATE, json.dumps(files), ledger_digest(con)],
    )


@dataclass(frozen=True)
class Purge:
    """What a purge deleted (rows per table) and whether it looked at every table."""

    deleted: dict[str, int]
    every_table: bool


def purge(con: duckdb.DuckDBPyConnection, only_files: list[str] | None = None) -> Purge:
    """Delete every row naming an erased person or match.

    Clear ids are looked up by hashing the distinct ids present (not every row), and kept
    only in temporary tables of this connection, which vanish with it. With
    ``only_files`` (from :func:`purge_scope`) only the raw rows of those files are looked
    at; if they name a match of an erased person that the ledger did not hold yet, rows
    anywhere may name it, and every table is purged after all.
    """
    ensure_ledger(con)
    if only_files is not None:
        before = ledger_digest(con)
        deleted = _purge(con, only_files)
        if ledger_digest(con) == before:
            return Purge(deleted, every_table=False)
        more = _purge(con, None)
        both = {t: deleted.get(t, 0) + more.get(t, 0) for t in sorted({*deleted, *more})}
        return Purge(both, every_table=True)
    return Purge(_purge(con, None), every_table=True)


def _purge(con: duckdb.DuckDBPyConnection, only_files: list[str] | None) -> dict[str, int]:
    """One purge of every table, or of the raw rows of ``only_files``."""
    columns = _id_columns(con)
    scope = "TRUE"
    if only_files is not None:
        columns = [c for c in columns if c[0] == "raw"]
        names = ", ".join("'" + n.replace("'", "''") + "'" for n in only_files) or "NULL"
        scope = f"_source_file IN ({names})"
    person_cols = [c for c in columns if c[2] in PERSON_COLUMNS]
    match_cols = [c for c in columns if c[2] == MATCH_COLUMN]
    deleted: dict[str, int] = {}
    _erased_ids(con, "_bt_erased_people", person_cols, "participant", f"WHERE {scope}")
    # Every match of an erased person goes too, and with it the partner's feedback rows.
    match_tables = [
        (s, t)
        for s, t in sorted({(s, t) for s, t, _ in columns})
        if {"match_id", "newcomer_id", "local_id"}
        <= {c for s2, t2, c in columns if (s2, t2) == (s, t)}
    ]
    for schema, table in match_tables:
        con.execute(
            f"""INSERT INTO meta.erasure_ledger
            SELECT DISTINCT sha256({trim_sql("match_id")}), 'match', now() FROM {schema}.{table}
            WHERE {scope} AND NULLIF({trim_sql("match_id")}, '') IS NOT NULL
              AND (newcomer_id IN (SELECT id FROM _bt_erased_people)
                   OR local_id IN (SELECT id FROM _bt_erased_people))
            ON CONFLICT DO NOTHING"""
        )
    _erased_ids(con, "_bt_erased_matches", match_cols, "match", f"WHERE {scope}")
    if con.execute(
        "SELECT (SELECT count(*) FROM _bt_erased_people) + (SELECT count(*) FROM _bt_erased_matches)"
    ).fetchone()[0]:
        tables = sorted({(s, t) for s, t, _ in columns})
        for schema, table in tables:
            conditions = [
                f'"{c}" IN (SELECT id FROM _bt_erased_people)'
                for s, t, c in person_cols
                if (s, t) == (schema, table)
            ] + [
                f'"{c}" IN (SELECT id FROM _bt_erased_matches)'
                for s, t, c in match_cols
                if (s, t) == (schema, table)
            ]
            n = con.execute(
                f"DELETE FROM {schema}.{table} WHERE {scope} AND ({' OR '.join(conditions)})"
            ).fetchone()[0]
            if n:
                deleted[f"{schema}.{table}"] = n
    for schema, table in _ragged_tables(con):
        if only_files is not None and schema != "raw":
            continue
        n = con.execute(
            f"DELETE FROM {schema}.{table} WHERE {scope} AND "
            f"{_names_erased_in_raw_line(schema, table, scope)}"
        ).fetchone()[0]
        if n:
            deleted[f"{schema}.{table}"] = deleted.get(f"{schema}.{table}", 0) + n
    con.execute("DROP TABLE IF EXISTS _bt_erased_people; DROP TABLE IF EXISTS _bt_erased_matches")
    return deleted


def remaining(con: duckdb.DuckDBPyConnection) -> int:
    """Rows anywhere in the warehouse that still name an erased person or match (should be 0).

    The distinct ids of every table are hashed once, together; rows are only counted when
    some id turns out to be erased.
    """
    ensure_ledger(con)
    columns = _id_columns(con)
    sets = {"participant": "_bt_left_people", "match": "_bt_left_matches"}
    _erased_ids(
        con, sets["participant"], [c for c in columns if c[2] in PERSON_COLUMNS], "participant"
    )
    _erased_ids(con, sets["match"], [c for c in columns if c[2] == MATCH_COLUMN], "match")
    total = 0
    found = con.execute(
        f"SELECT (SELECT count(*) FROM {sets['participant']}) + (SELECT count(*) FROM {sets['match']})"
    ).fetchone()[0]
    if found:
        for schema, table, col in columns:
            kind = "match" if col == MATCH_COLUMN else "participant"
            total += con.execute(
                f'SELECT count(*) FROM {schema}.{table} WHERE "{col}" IN (SELECT id FROM {sets[kind]})'
            ).fetchone()[0]
    for schema, table in _ragged_tables(con):
        total += con.execute(
            f"SELECT count(*) FROM {schema}.{table} WHERE "
            f"{_names_erased_in_raw_line(schema, table, 'TRUE')}"
        ).fetchone()[0]
    con.execute(f"DROP TABLE IF EXISTS {sets['participant']}; DROP TABLE IF EXISTS {sets['match']}")
    return total
