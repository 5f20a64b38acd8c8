"""Incremental ingest: unchanged files are not read again, and the result equals a full run."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from ingest_helpers import LOCAL, PARTICIPANT, base_inbox, write_csv

from pipelines.sample_data import generate

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-25"
SCHEMAS = ("raw", "core", "quarantine", "marts")


def _run(inbox: Path, warehouse: Path, reports: Path, funders: Path) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import ALL_ASSETS
    from pipelines.defs.ingest.checks import INGEST_CHECKS
    from pipelines.resources import Settings, Warehouse

    return dg.materialize(
        [*ALL_ASSETS, *INGEST_CHECKS],
        resources={
            "settings": Settings(
                inbox=str(inbox), reports=str(reports), funders=str(funders), as_of=AS_OF
            ),
            "warehouse": Warehouse(path=str(warehouse)),
        },
    )


def _raw_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string().startswith("raw_")
    }


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Rows in one warehouse's table but not the other's (multiset), per table."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'a' "
        f"AND schema_name IN {SCHEMAS} ORDER BY 1, 2"
    ).fetchall()
    other = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'b' "
        f"AND schema_name IN {SCHEMAS} ORDER BY 1, 2"
    ).fetchall()
    assert tables == other
    diffs = {}
    for schema, table in tables:
        cols = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' "
                "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            if c != "_ingested_at"  # when a row was read differs by design
        ]
        select = ", ".join(f'"{c}"' for c in cols)
        left = con.execute(
            f"SELECT count(*) FROM (SELECT {select} FROM a.{schema}.{table} "
            f"EXCEPT ALL SELECT {select} FROM b.{schema}.{table})"
        ).fetchone()[0]
        right = con.execute(
            f"SELECT count(*) FROM (SELECT {select} FROM b.{schema}.{table} "
            f"EXCEPT ALL SELECT {select} FROM a.{schema}.{table})"
        ).fetchone()[0]
        if left or right:
            diffs[f"{schema}.{table}"] = (left, right)
    return diffs


def _feed_counts(warehouse: Path) -> list[tuple]:
    """The reconciliation counts per feed (without the time they were recorded)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT feed, rows_read, rows_quarantined, rows_core, rows_superseded "
            "FROM meta.feed_counts ORDER BY feed"
        ).fetchall()


def test_incremental_run_equals_a_full_run(tmp_path: Path) -> None:
    inbox, funders = tmp_path / "inbox", tmp_path / "funders.toml"
    generate(inbox, participants=900, seed=21, funders_path=funders, bad_rows=True)
    incremental = tmp_path / "incremental.duckdb"
    first = _run(inbox, incremental, tmp_path / "reports_inc", funders)
    assert sum(m["files_read_this_run"] for m in _raw_metadata(first).values()) == len(
        list(inbox.iterdir())
    )

    # A new daily export (new feedback rows), a changed file, a file that left the inbox.
    source = sorted(inbox.glob("feedback_*.csv"))[0]
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[:40]
    for row in rows:
        row["feedback_id"] = "daily-" + row["feedback_id"]
    daily = write_csv(inbox / "feedback_2026-11-25_daily.csv", rows)
    os.utime(daily, (1_800_000_000, 1_800_000_000))
    matches = sorted(inbox.glob("matches_*.csv"))[-1]
    text = matches.read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    matches.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")  # one row less
    os.utime(matches, (1_800_000_100, 1_800_000_100))
    gone = sorted(inbox.glob("surveys_*"))[-1]
    gone.unlink()

    second = _run(inbox, incremental, tmp_path / "reports_inc", funders)
    read = {k: m["files_read_this_run"] for k, m in _raw_metadata(second).items()}
    assert read == {
        "raw_registrations": 0,
        "raw_matches": 1,
        "raw_feedback": 1,
        "raw_surveys": 0,
        "raw_erasures": 1,  # always read again: the previous run purged its rows
    }

    full = tmp_path / "full.duckdb"
    _run(inbox, full, tmp_path / "reports_full", funders)
    assert _differences(incremental, full) == {}
    assert _feed_counts(incremental) == _feed_counts(full)
    for name in ("metrics.csv",):
        for folder in (tmp_path / "reports_full").iterdir():
            if (folder / name).exists():
                assert (folder / name).read_bytes() == (
                    tmp_path / "reports_inc" / folder.name / name
                ).read_bytes()


def _validation_modes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        e.asset_key.to_user_string(): str(e.materialization.metadata["validation"].value)
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string().startswith("core_")
    }


def _matching(result: dg.ExecuteInProcessResult) -> str:
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "match_proposals"
    ]
    return str(event.materialization.metadata["matching"].value)


def test_a_daily_export_is_validated_alone_and_equals_a_full_run(tmp_path: Path) -> None:
    """Only new feedback rows are validated; new rows beat old ones with the same key."""
    inbox, funders = tmp_path / "inbox", tmp_path / "funders.toml"
    generate(inbox, participants=900, seed=23, funders_path=funders, bad_rows=True)
    incremental = tmp_path / "incremental.duckdb"
    first = _run(inbox, incremental, tmp_path / "reports_inc", funders)
    assert set(_validation_modes(first).values()) == {"every row validated"}

    source = sorted(inbox.glob("feedback_*.csv"))[0]
    with duckdb.connect(str(incremental), read_only=True) as con:
        accepted = {
            i
            for (i,) in con.execute(
                "SELECT feedback_id FROM core.feedback WHERE _source_file = ?", [source.name]
            ).fetchall()
        }
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["feedback_id"] in accepted and r["rating"]]
    rows = list({r["feedback_id"]: r for r in rows}.values())[:40]
    assert len(rows) == 40
    daily = []
    for i, row in enumerate(rows):
        row = dict(row)
        if i < 20:
            row["feedback_id"] = f"daily-{i}"  # new rows
        elif i < 30:
            row["rating"] = "1" if row["rating"] != "1" else "2"  # replaces an old row
        elif i < 35:
            row["rating"] = "9"  # quarantined
        elif i < 40:
            row["feedback_id"] = f"daily-{i - 40}"  # the same new key twice: the later wins
        else:
            continue
        daily.append(row)
    daily += [{**daily[-1], "rating": "5"}]
    path = write_csv(inbox / "feedback_2026-11-25_daily.csv", daily)
    os.utime(path, (1_900_000_000, 1_900_000_000))

    second = _run(inbox, incremental, tmp_path / "reports_inc", funders)
    modes = _validation_modes(second)
    assert modes.pop("core_feedback") == "only the 1 new file(s) validated and merged"
    assert set(modes.values()) == {"unchanged since the last run: nothing validated"}
    assert [_matching(first), _matching(second)] == [
        "solved",
        "inputs unchanged since the last run: proposals kept",
    ]

    full = tmp_path / "full.duckdb"
    _run(inbox, full, tmp_path / "reports_full", funders)
    assert _differences(incremental, full) == {}
    assert _feed_counts(incremental) == _feed_counts(full)
    counts = {f: rest for f, *rest in _feed_counts(full)}
    read, quarantined, core, superseded = counts["feedback"]
    assert read == quarantined + core + superseded
    with duckdb.connect(str(full), read_only=True) as con:
        replaced = con.execute(
            "SELECT count(*) FROM core.feedback WHERE _source_file = ?", [path.name]
        ).fetchall()[0][0]
    assert replaced == 20 + 10 + 5


def test_a_changed_file_replaces_its_old_rows(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    extra = {**LOCAL, "participant_id": "l2", "city": "Dresden"}
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, extra])
    run = run_ingest(inbox)
    assert run.count("raw.registrations") == 3
    # The platform re-exports the file: l2 moved to Chemnitz, and a row is gone.
    write_csv(inbox / "registrations.csv", [PARTICIPANT, {**extra, "city": "Chemnitz"}])
    run = run_ingest(inbox)
    assert run.sql("SELECT participant_id, city FROM raw.registrations ORDER BY 1") == [
        ("l2", "Chemnitz"),
        ("n1", "Leipzig"),
    ]
    assert run.sql("SELECT participant_id, city FROM core.participants ORDER BY 1") == [
        ("l2", "Chemnitz"),
        ("n1", "Leipzig"),
    ]
    # l1 is gone, so the match l1 was part of is now quarantined, not lost.
    assert run.reasons("matches") == ["local_id: not a registered participant"]
