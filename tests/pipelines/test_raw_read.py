"""Big files read in parallel keep each row's own source row number."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from ingest_helpers import FEEDBACK

from pipelines.contract import FEEDS_BY_NAME
from pipelines.defs.ingest.read import create_raw_table, discover, read_file

ROWS = 60_000


def _ids() -> list[str]:
    # Not sorted by row number, so a row numbered by sorted order would not match.
    return [f"fb-{(i * 7919) % ROWS:06d}" for i in range(ROWS)]


def _read(inbox: Path, db: Path) -> dict[int, str]:
    with duckdb.connect(str(db)) as con:
        con.execute("SET threads = 2; CREATE SCHEMA raw")
        create_raw_table(con, FEEDS_BY_NAME["feedback"], "raw.feedback")
        (source,) = discover(inbox)
        assert read_file(con, source, "raw.feedback") == ROWS
        return dict(con.execute("SELECT _source_row, feedback_id FROM raw.feedback").fetchall())


def test_parquet_rows_keep_their_numbers_across_many_row_groups(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ids = _ids()
    columns = {k: [v] * ROWS for k, v in FEEDBACK.items()}
    columns["feedback_id"] = ids
    # Small row groups: the reader splits the file over threads, rows are stored in any order.
    pq.write_table(pa.table(columns), inbox / "feedback.parquet", row_group_size=997)
    rows = _read(inbox, tmp_path / "w.duckdb")
    assert rows == {i + 1: fid for i, fid in enumerate(ids)}


def test_csv_rows_keep_their_numbers_in_a_big_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ids = _ids()
    with (inbox / "feedback.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FEEDBACK))
        writer.writeheader()
        writer.writerows({**FEEDBACK, "feedback_id": fid} for fid in ids)
    rows = _read(inbox, tmp_path / "w.duckdb")
    assert rows == {i + 1: fid for i, fid in enumerate(ids)}
