"""No participant id, postcode or comment reaches Dagster's storage (event log, runs, metadata, logs).

The pipeline is materialised against a real on-disk Dagster instance; then every file
under its DAGSTER_HOME (SQLite event log and run storage, compute logs) is scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.sample_data import generate

pytestmark = pytest.mark.e2e


def _scan_texts(home: Path) -> list[tuple[str, str]]:
    texts = []
    for path in home.rglob("*"):
        if path.is_file():
            texts.append((str(path), path.read_bytes().decode("utf-8", errors="replace")))
    return texts


def test_dagster_storage_holds_no_personal_data(tmp_path: Path) -> None:
    from pipelines.definitions import ALL_ASSETS
    from pipelines.defs.ingest.checks import INGEST_CHECKS
    from pipelines.resources import Settings, Warehouse

    inbox, funders = tmp_path / "inbox", tmp_path / "funders.toml"
    generate(inbox, participants=600, seed=5, funders_path=funders, bad_rows=True)
    warehouse = tmp_path / "wh.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize(
            [*ALL_ASSETS, *INGEST_CHECKS],
            instance=instance,
            resources={
                "settings": Settings(
                    inbox=str(inbox),
                    reports=str(tmp_path / "reports"),
                    funders=str(funders),
                    as_of="2026-11-25",
                ),
                "warehouse": Warehouse(path=str(warehouse)),
            },
        )
        assert result.success
        # Also the structured events as the UI reads them, metadata included.
        records = instance.get_records_for_run(result.run_id).records
        serialized = "\n".join(dg.serialize_value(r.event_log_entry) for r in records)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        ids = {
            r[0]
            for r in con.execute(
                "SELECT participant_id FROM raw.registrations WHERE length(participant_id) >= 4 "
                "UNION SELECT participant_id FROM raw.feedback WHERE length(participant_id) >= 4"
            ).fetchall()
        }
        postcodes = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT trim(postcode) FROM raw.registrations "
                "WHERE regexp_full_match(trim(postcode), '[0-9]{5}')"
            ).fetchall()
        }
        comments = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT comment FROM raw.feedback WHERE length(comment) >= 8"
            ).fetchall()
        }
    assert ids and postcodes and comments
    texts = [*_scan_texts(home), ("event records", serialized)]
    assert sum(len(t) for _, t in texts) > 10_000  # the scan really read the storage
    # Not inside a longer token (run ids and hashes are hex: "a08056" is no postcode).
    postcode_re = re.compile(
        r"(?<![0-9A-Za-z.])(" + "|".join(sorted(postcodes)) + r")(?![0-9A-Za-z])"
    )
    for name, text in texts:
        leaked_ids = [i for i in ids if i in text]
        assert not leaked_ids, f"{name} holds participant ids, e.g. {leaked_ids[:1]}"
        assert not postcode_re.search(text), f"{name} holds a postcode"
        leaked_comments = [c for c in comments if c in text]
        assert not leaked_comments, f"{name} holds a comment"
