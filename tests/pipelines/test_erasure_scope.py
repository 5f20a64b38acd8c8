"""A purge looks only at new raw rows when that is enough, and at every table otherwise."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from ingest_helpers import FEEDBACK, MATCH, Run, base_inbox, write_csv

from pipelines.contract import FEEDS

ERASE_N1 = [{"participant_id": "n1", "requested_at": "2026-02-01"}]


def _purge_scope(run: Run) -> str:
    (event,) = [
        e
        for e in run.result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "erasure_ledger"
    ]
    return event.materialization.metadata["purge"].value


def _mentions(run: Run, *ids: str) -> int:
    """Rows of any table with one of ``ids`` in an id column."""
    total = 0
    for schema, table, col in run.sql(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE column_name IN ('participant_id', 'newcomer_id', 'local_id', 'match_id') "
        "AND table_schema IN ('raw', 'quarantine', 'core', 'marts')"
    ):
        quoted = ", ".join(f"'{i}'" for i in ids)
        total += run.count(f'{schema}.{table} WHERE "{col}" IN ({quoted})')
    return total


def test_new_rows_of_an_erased_person_are_purged_without_looking_at_old_rows(
    tmp_path: Path, run_ingest
) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "erasures.csv", ERASE_N1)
    first = run_ingest(inbox)
    assert _purge_scope(first) == "every table"
    write_csv(
        inbox / "feedback_later.csv",
        [
            {**FEEDBACK, "feedback_id": "f9"},  # by the erased person
            {**FEEDBACK, "feedback_id": "f10", "participant_id": "l1"},  # on their match
            {
                **FEEDBACK,
                "feedback_id": "f11",
                "participant_id": "l1",
                "event_kind": "group_event",
                "match_id": "",
                "event_id": "ev1",
            },
        ],
    )
    run = run_ingest(inbox)
    # The erasures file is read again on every run, so two files' rows are new.
    assert _purge_scope(run).startswith("raw rows of the 2 file(s)")
    assert _mentions(run, "n1", "m1") == 0
    assert run.sql("SELECT feedback_id FROM core.feedback") == [("f11",)]
    assert all(run.checks().values()), run.checks()
    # Nothing new: nothing but the re-read erasures file is looked at.
    again = run_ingest(inbox)
    assert _purge_scope(again).startswith("raw rows of the 1 file(s)")
    assert all(again.checks().values()), again.checks()


def test_a_new_match_of_an_erased_person_purges_every_table(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "erasures.csv", ERASE_N1)
    # Feedback on a match nobody knows yet: quarantined, and kept.
    early = {**FEEDBACK, "feedback_id": "f7", "participant_id": "l1", "match_id": "m7"}
    write_csv(inbox / "feedback.csv", [FEEDBACK, early])
    first = run_ingest(inbox)
    assert first.count("quarantine.feedback WHERE match_id = 'm7'") == 1
    # The match arrives later and turns out to be one of the erased person's: its hash is
    # new in the ledger, so rows anywhere may name it.
    write_csv(inbox / "matches_later.csv", [{**MATCH, "match_id": "m7"}])
    run = run_ingest(inbox)
    assert _purge_scope(run) == "every table"
    assert _mentions(run, "n1", "m1", "m7") == 0
    assert all(run.checks().values()), run.checks()


def test_a_core_table_built_from_unpurged_rows_purges_every_table(
    tmp_path: Path, run_ingest
) -> None:
    from pipelines.definitions import INGEST_ASSETS
    from pipelines.defs.ingest.checks import INGEST_CHECKS
    from pipelines.resources import Settings, Warehouse

    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "erasures.csv", ERASE_N1)
    first = run_ingest(inbox)
    write_csv(inbox / "feedback_later.csv", [{**FEEDBACK, "feedback_id": "f9"}])
    # An analyst materialises the raw tables and core_feedback alone, skipping the purge:
    # the erased person's new row reaches quarantine.feedback.
    selection = dg.AssetSelection.assets(
        *[f"raw_{f.name}" for f in FEEDS], "core_feedback"
    ).without_checks()
    dg.materialize(
        [*INGEST_ASSETS, *INGEST_CHECKS],
        selection=selection,
        resources={
            "settings": Settings(inbox=str(inbox), as_of="2026-06-30"),
            "warehouse": Warehouse(path=str(first.warehouse), lock_timeout_s=1),
        },
    )
    assert first.count("quarantine.feedback WHERE participant_id = 'n1'") == 1
    run = run_ingest(inbox)
    assert _purge_scope(run) == "every table"
    assert _mentions(run, "n1", "m1") == 0
    assert all(run.checks().values()), run.checks()


def test_a_ragged_row_naming_an_erased_person_is_purged(tmp_path: Path, run_ingest) -> None:
    """A row with too few fields keeps its whole line, which may name the erased person."""
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "erasures.csv", ERASE_N1)
    header = ",".join(FEEDBACK)
    (inbox / "feedback.csv").write_text(f'{header}\nf5,"n1",tandem_meeting,m1\nf6,l2,x\n', "utf-8")
    run = run_ingest(inbox)
    assert run.sql("SELECT _raw_line FROM quarantine.feedback") == [("f6,l2,x",)]
    assert run.count("raw.feedback WHERE _raw_line LIKE '%n1%'") == 0
    assert all(run.checks().values()), run.checks()
    # A later ragged row of theirs goes too, in a run that looks only at new rows.
    (inbox / "feedback_later.csv").write_text(f"{header}\nf7,n1\n", "utf-8")
    later = run_ingest(inbox)
    assert _purge_scope(later).startswith("raw rows of the 2 file(s)")
    assert later.count("raw.feedback WHERE _raw_line LIKE '%n1%'") == 0
    assert later.count("quarantine.feedback WHERE _raw_line LIKE '%n1%'") == 0
    assert all(later.checks().values()), later.checks()
