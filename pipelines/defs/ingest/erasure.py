"""GDPR Art. 17 erasure: a ledger of hashed ids and a purge of every warehouse table.

The ledger ``meta.erasure_ledger`` holds SHA-256 hashes only (``kind`` = participant or match),
so it can live forever without holding anyone's id. Every run purges every table that names
an erased participant or one of their matches, so a later export that repeats an erased
person does not bring them back, even after the erasures file has left the inbox.
"""

from __future__ import annotations

import duckdb

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
    """Add the hashes of the accepted erasure requests; returns how many people were new."""
    ensure_ledger(con)
    before = con.execute("SELECT count(*) FROM meta.erasure_ledger").fetchone()[0]
    con.execute(
        f"""INSERT INTO meta.erasure_ledger
        SELECT DISTINCT sha256(participant_id), 'participant', now() FROM {accepted_table}
        ON CONFLICT DO NOTHING"""
    )
    return con.execute("SELECT count(*) FROM meta.erasure_ledger").fetchone()[0] - before


def _erased_ids(
    con: duckdb.DuckDBPyConnection, temp: str, cols: list[tuple[str, str, str]], kind: str
) -> None:
    """Temp table ``temp`` of the clear ids in ``cols`` whose hash is in the ledger as ``kind``.

    Each distinct id is hashed once (not every row), and the clear ids live only in a
    temporary table of this connection.
    """
    con.execute(f"DROP TABLE IF EXISTS {temp}")
    union = " UNION ".join(f'SELECT DISTINCT "{c}" AS id FROM {s}.{t}' for s, t, c in cols)
    if not union:
        con.execute(f"CREATE TEMP TABLE {temp} (id VARCHAR)")
        return
    con.execute(
        f"""CREATE TEMP TABLE {temp} AS
        SELECT id FROM ({union}) ids
        WHERE id IS NOT NULL AND sha256(id) IN
              (SELECT id_hash FROM meta.erasure_ledger WHERE kind = '{kind}')"""
    )


def _id_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    schemas = ", ".join(f"'{s}'" for s in PURGED_SCHEMAS)
    names = ", ".join(f"'{c}'" for c in (*PERSON_COLUMNS, MATCH_COLUMN))
    return con.execute(
        f"""SELECT table_schema, table_name, column_name FROM information_schema.columns
        WHERE table_schema IN ({schemas}) AND column_name IN ({names})
          AND data_type = 'VARCHAR' AND table_catalog = current_database()
        ORDER BY ALL"""
    ).fetchall()


def purge(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete every row naming an erased person or match; returns rows deleted per table.

    Clear ids are looked up by hashing the distinct ids present (not every row), and kept
    only in temporary tables of this connection, which vanish with it.
    """
    ensure_ledger(con)
    columns = _id_columns(con)
    person_cols = [c for c in columns if c[2] in PERSON_COLUMNS]
    match_cols = [c for c in columns if c[2] == MATCH_COLUMN]
    deleted: dict[str, int] = {}
    _erased_ids(con, "_bt_erased_people", person_cols, "participant")
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
            SELECT DISTINCT sha256(match_id), 'match', now() FROM {schema}.{table}
            WHERE match_id IS NOT NULL
              AND (newcomer_id IN (SELECT id FROM _bt_erased_people)
                   OR local_id IN (SELECT id FROM _bt_erased_people))
            ON CONFLICT DO NOTHING"""
        )
    _erased_ids(con, "_bt_erased_matches", match_cols, "match")
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
                f"DELETE FROM {schema}.{table} WHERE {' OR '.join(conditions)}"
            ).fetchone()[0]
            if n:
                deleted[f"{schema}.{table}"] = n
    con.execute("DROP TABLE IF EXISTS _bt_erased_people; DROP TABLE IF EXISTS _bt_erased_matches")
    return deleted


def remaining(con: duckdb.DuckDBPyConnection) -> int:
    """Rows anywhere in the warehouse that still name an erased person or match (should be 0)."""
    ensure_ledger(con)
    total = 0
    for schema, table, col in _id_columns(con):
        kind = "match" if col == MATCH_COLUMN else "participant"
        # Hash each distinct id once rather than every row.
        total += con.execute(
            f"""SELECT count(*) FROM {schema}.{table} WHERE "{col}" IN (
                SELECT id FROM (SELECT DISTINCT "{col}" AS id FROM {schema}.{table})
                WHERE sha256(id) IN
                    (SELECT id_hash FROM meta.erasure_ledger WHERE kind = '{kind}'))"""
        ).fetchone()[0]
    return total
