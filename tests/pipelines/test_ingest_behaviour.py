"""Reading and run behaviour: formats, time zones, de-duplication, idempotence, file errors, erasure."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from ingest_helpers import (
    FEEDBACK,
    LOCAL,
    MATCH,
    PARTICIPANT,
    SURVEY,
    Run,
    base_inbox,
    write_csv,
    write_jsonl,
)


def _utc(run: Run, table: str, col: str, where: str) -> datetime:
    return run.sql(f"SELECT {col} FROM {table} WHERE {where}")[0][0].astimezone(UTC)


def test_bom_quoted_newlines_crlf_and_no_final_newline(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL], bom=True)
    header = ",".join(FEEDBACK)
    row = ",".join(
        '"line one\r\nline two, with comma"' if k == "comment" else v for k, v in FEEDBACK.items()
    )
    (inbox / "feedback.csv").write_bytes(f"{header}\r\n{row}".encode())
    run = run_ingest(inbox)
    assert run.count("core.participants") == 2
    assert run.sql("SELECT comment FROM core.feedback") == [("line one\r\nline two, with comma",)]
    assert all(run.checks().values())


def test_berlin_wall_times_and_dst(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    rows = [
        {**PARTICIPANT, "participant_id": "winter", "registered_at": "2026-01-05T10:00:00"},
        {**PARTICIPANT, "participant_id": "summer", "registered_at": "2026-05-05 10:00"},
        # 02:30 on 2026-03-29 does not exist: read with the offset before the change (+01:00).
        {**PARTICIPANT, "participant_id": "gap", "registered_at": "2026-03-29T02:30:00"},
        # 02:30 on 2025-10-26 happens twice: the first (summer time, +02:00) is meant.
        {**PARTICIPANT, "participant_id": "fold", "registered_at": "2025-10-26T02:30:00"},
        {**PARTICIPANT, "participant_id": "zulu", "registered_at": "2026-06-02T23:30:00Z"},
        {**PARTICIPANT, "participant_id": "offset", "registered_at": "2026-06-02T10:00:00-0300"},
    ]
    write_csv(inbox / "registrations.csv", [*rows, LOCAL, PARTICIPANT])
    run = run_ingest(inbox)
    got = {
        pid: _utc(run, "core.participants", "registered_at", f"participant_id = '{pid}'")
        for pid in ("winter", "summer", "gap", "fold", "zulu", "offset")
    }
    assert got == {
        "winter": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        "summer": datetime(2026, 5, 5, 8, 0, tzinfo=UTC),
        "gap": datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        "fold": datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        "zulu": datetime(2026, 6, 2, 23, 30, tzinfo=UTC),
        "offset": datetime(2026, 6, 2, 13, 0, tzinfo=UTC),
    }


def test_as_of_compares_berlin_dates(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    late = [
        # 21:59Z on the 30th is 23:59 Berlin: still on BT_AS_OF, accepted.
        {**PARTICIPANT, "participant_id": "ok", "registered_at": "2026-06-30T21:59:00Z"},
        # 22:30Z on the 30th is 00:30 on 1 July in Berlin: after BT_AS_OF.
        {**PARTICIPANT, "participant_id": "late", "registered_at": "2026-06-30T22:30:00Z"},
    ]
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, *late])
    run = run_ingest(inbox, as_of="2026-06-30")
    assert run.reasons("registrations") == ["registered_at: after BT_AS_OF"]
    assert run.sql("SELECT participant_id FROM quarantine.registrations") == [("late",)]


def test_mixed_formats_parquet_and_jsonl(tmp_path: Path, run_ingest) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    table = pa.table(
        {
            "participant_id": ["n1", "l1"],
            "registered_at": [datetime(2026, 1, 5, 10, 0), datetime(2026, 1, 4, 10, 0)],
            "group": ["newcomer", "local"],
            "city": ["Leipzig", "Leipzig"],
            "postcode": ["04277", None],
            "birth_year": [1990, None],
            "languages": [["ar", "en"], ["de"]],
            "interests": [["cooking"], ["cooking", "chess"]],
            "consent_research": [True, False],
        }
    )
    pq.write_table(table, inbox / "Registrations_2026.parquet")
    write_jsonl(
        inbox / "matches.jsonl",
        [
            {
                "match_id": "m1",
                "newcomer_id": "n1",
                "local_id": "l1",
                "matched_at": "2026-01-10T10:00:00",
                "ended_at": None,
            }
        ],
    )
    write_jsonl(
        inbox / "surveys.jsonl",
        [
            {
                "participant_id": "n1",
                "wave": "baseline",
                "answered_at": "2026-01-05T10:00:00Z",
                "belonging": 3,
            },
            {
                "participant_id": "l1",
                "wave": "baseline",
                "answered_at": "2026-01-05T10:00:00Z",
                "belonging": 3.5,
            },
        ],
    )
    write_jsonl(
        inbox / "feedback.jsonl",
        [{**FEEDBACK, "rating": 4, "attended": True, "comment": None}],
    )
    run = run_ingest(inbox)
    rows = run.sql(
        "SELECT participant_id, registered_at, postcode, birth_year, languages, consent_research "
        "FROM core.participants ORDER BY 1"
    )
    assert rows[0][0] == "l1" and rows[0][2:] == (None, None, ["de"], False)
    assert rows[1][1].astimezone(UTC) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # naive = Berlin
    assert rows[1][2:] == ("04277", 1990, ["ar", "en"], True)
    assert run.count("core.matches") == 1
    assert run.sql("SELECT rating, attended FROM core.feedback") == [(4, True)]
    assert run.reasons("surveys") == ["belonging: not an integer 1-5"]


def test_parquet_instants_in_every_unit_keep_their_zone(tmp_path: Path, run_ingest) -> None:
    """A Parquet timestamp with a time zone is an instant in any unit (pandas writes
    nanoseconds); a naive one is Berlin wall time, also in nanoseconds."""
    inbox = base_inbox(tmp_path / "inbox")
    instant = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
    expected = {}
    for unit in ("s", "ms", "us", "ns"):
        for tz in ("UTC", "Europe/Berlin", None):
            pid = f"p_{unit}_{(tz or 'naive').replace('/', '_')}"
            value = instant if tz else instant.replace(tzinfo=None)  # naive: 20:00 in Berlin
            registrations = pa.table(
                {
                    **{k: [v] for k, v in PARTICIPANT.items()},
                    "participant_id": [pid],
                    "registered_at": pa.array([value], pa.timestamp(unit, tz=tz)),
                }
            )
            pq.write_table(registrations, inbox / f"registrations_{pid}.parquet")
            expected[pid] = instant if tz else datetime(2026, 1, 12, 19, 0, tzinfo=UTC)
    run = run_ingest(inbox)
    got = {
        pid: at.astimezone(UTC)
        for pid, at in run.sql(
            "SELECT participant_id, registered_at FROM core.participants "
            "WHERE participant_id LIKE 'p\\_%' ESCAPE '\\'"
        )
    }
    assert got == expected


def test_later_file_updates_a_row(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    later = write_csv(
        inbox / "matches_update.csv",
        [{**MATCH, "ended_at": "2026-03-01T10:00:00Z", "end_reason": "completed"}],
    )
    first = inbox / "matches.csv"
    # The update is newer by modification time even though its name sorts after 'matches.csv'.
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(later, (1_700_000_100, 1_700_000_100))
    run = run_ingest(inbox)
    assert run.sql("SELECT end_reason FROM core.matches") == [("completed",)]
    assert run.sql(
        "SELECT rows_read, rows_quarantined, rows_core, rows_superseded "
        "FROM meta.feed_counts WHERE feed = 'matches'"
    ) == [(2, 0, 1, 1)]
    # Now make the old file the newest: it wins again.
    os.utime(first, (1_700_000_200, 1_700_000_200))
    run = run_ingest(inbox)
    assert run.sql("SELECT end_reason FROM core.matches") == [(None,)]


def test_last_row_of_a_file_wins_and_equal_mtimes_order_by_name(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(
        inbox / "matches.csv",
        [MATCH, {**MATCH, "end_reason": "other", "ended_at": "2026-02-01T00:00:00Z"}],
    )
    run = run_ingest(inbox)
    assert run.sql("SELECT end_reason FROM core.matches") == [("other",)]
    b = write_csv(inbox / "matches_b.csv", [{**MATCH, "end_reason": "moved", "ended_at": ""}])
    a = write_csv(inbox / "matches_a.csv", [{**MATCH, "end_reason": "mismatch", "ended_at": ""}])
    for p in (inbox / "matches.csv", a, b):
        os.utime(p, (1_700_000_000, 1_700_000_000))
    run = run_ingest(inbox)
    assert run.sql("SELECT end_reason FROM core.matches") == [("moved",)]


def test_rerun_same_inbox_changes_no_count(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, {**LOCAL, "participant_id": ""}])
    tables = [
        "raw.registrations",
        "raw.feedback",
        "core.participants",
        "core.matches",
        "core.feedback",
        "core.surveys",
        "quarantine.registrations",
        "meta.source_files",
    ]
    first = run_ingest(inbox)
    counts = {t: first.count(t) for t in tables}
    second = run_ingest(inbox)
    assert {t: second.count(t) for t in tables} == counts
    assert counts["quarantine.registrations"] == 1


def test_ragged_rows_are_quarantined(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    header = ",".join(LOCAL)
    good = ",".join(LOCAL.values())
    good_n = ",".join(PARTICIPANT.values())
    lines = [header, good_n, good + ",extra", ",".join(list(LOCAL.values())[:5]), good]
    (inbox / "registrations.csv").write_text("\n".join(lines) + "\n", "utf-8")
    run = run_ingest(inbox)
    assert run.sql("SELECT _source_row, reason FROM quarantine.registrations ORDER BY 1") == [
        (2, "row: too many fields"),
        (3, "row: too few fields"),
    ]
    assert run.sql("SELECT participant_id, _source_row FROM core.participants ORDER BY 1") == [
        ("l1", 4),
        ("n1", 1),
    ]
    assert all(run.checks().values())


def test_row_numbers_skip_empty_lines_but_not_quoted_ones(tmp_path: Path, run_ingest) -> None:
    """A row's number counts the file's records: empty lines are no records, so they move
    neither accepted nor ragged rows; an empty line inside a quoted field is no line."""
    inbox = base_inbox(tmp_path / "inbox")
    header = ",".join(LOCAL)
    row = {k: f'"{v}"' for k, v in LOCAL.items()}

    def line(pid: str, **over: str) -> str:
        return ",".join({**row, "participant_id": pid, **over}.values())

    lines = [
        header,
        "",
        line("r1", status="matched,extra"),  # ragged: too many fields
        line("g2"),
        "",
        line("g3", district='"Plag\n\nwitz"'),  # an empty line inside quotes
        line("r4", status="matched,extra"),
        "",
        "",
        line("g5"),
        ",".join(list(row.values())[:5]),  # ragged: too few fields
    ]
    (inbox / "registrations.csv").write_text("\n".join(lines) + "\n", "utf-8")
    run = run_ingest(inbox)
    assert run.sql("SELECT _source_row, reason FROM quarantine.registrations ORDER BY 1") == [
        (1, "row: too many fields"),
        (4, "row: too many fields"),
        (6, "row: too few fields"),
    ]
    assert run.sql("SELECT participant_id, _source_row FROM core.participants ORDER BY 2") == [
        ("g2", 2),
        ("g3", 3),
        ("g5", 5),
    ]
    # A ragged row's kept line is the row, without the empty lines before it.
    assert run.sql(
        "SELECT count(*) FROM raw.registrations WHERE starts_with(_raw_line, chr(10)) "
        "OR starts_with(_raw_line, chr(13))"
    ) == [(0,)]


def test_header_only_and_unknown_files(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    (inbox / "surveys_empty.csv").write_text(",".join(SURVEY) + "\n", "utf-8")
    (inbox / "notes.txt").write_text("not a feed", "utf-8")
    (inbox / "something_else.csv").write_text("a,b\n1,2\n", "utf-8")
    run = run_ingest(inbox)
    assert run.count("core.surveys") == 1
    assert run.sql("SELECT count(*) FROM meta.source_files") == [(5,)]


def _warehouse_snapshot(run: Run) -> dict[str, int]:
    tables = run.sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'core', 'quarantine', 'meta') ORDER BY 1"
    )
    return {t: run.count(t) for (t,) in tables}


def test_unreadable_files_fail_naming_the_file_and_change_nothing(
    tmp_path: Path, run_ingest
) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    before = _warehouse_snapshot(run_ingest(inbox))
    bad_files = {
        "feedback_latin1.csv": ",".join(FEEDBACK).encode() + b"\nf2,n1,\xe9\xff\n",
        "surveys_empty.csv": b"",
        "matches_dup.csv": b"match_id,newcomer_id,local_id,matched_at,match_id\n",
        "registrations_broken.parquet": b"PAR1 this is not parquet",
        "surveys_bad.jsonl": b'{"participant_id": "n1", "wave": \n',
        "matches_nocol.csv": b"match_id,newcomer_id\nm1,n1\n",
    }
    for name, content in bad_files.items():
        path = inbox / name
        path.write_bytes(content)
        run = run_ingest(inbox, raise_on_error=False)
        assert not run.result.success
        failure = run.result.get_step_failure_events()[0]
        assert name in failure.event_specific_data.error.cause.message, name
        assert _warehouse_snapshot(run) == before
        path.unlink()


def test_erasure_removes_everywhere_and_stays_removed(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    partner_feedback = {**FEEDBACK, "feedback_id": "f2", "participant_id": "l1"}
    group_event = {
        **FEEDBACK,
        "feedback_id": "f3",
        "participant_id": "l1",
        "event_kind": "group_event",
        "match_id": "",
        "event_id": "ev1",
    }
    bad_row = {**PARTICIPANT, "city": ""}  # n1 also sits in quarantine
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, bad_row])
    write_csv(inbox / "feedback.csv", [FEEDBACK, partner_feedback, group_event])
    write_csv(inbox / "surveys.csv", [SURVEY, {**SURVEY, "participant_id": "l1"}])
    write_csv(inbox / "erasures.csv", [{"participant_id": "n1", "requested_at": "2027-01-01"}])
    run = run_ingest(inbox)
    assert all(run.checks().values()), run.checks()

    def mentions(run: Run) -> int:
        total = 0
        for schema, table, col in run.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE column_name IN ('participant_id', 'newcomer_id', 'local_id', 'match_id', "
            "'_raw_line')"
        ):
            total += run.count(
                f"{schema}.{table} WHERE \"{col}\" IN ('n1', 'm1') OR \"{col}\" LIKE '%n1%'"
            )
        return total

    assert mentions(run) == 0
    # The partner stays, but their feedback on the erased match is gone; their group event stays.
    assert run.sql("SELECT participant_id FROM core.participants") == [("l1",)]
    assert run.sql("SELECT feedback_id FROM core.feedback") == [("f3",)]
    assert run.count("core.matches") == 0
    ledger = run.sql("SELECT id_hash, kind FROM meta.erasure_ledger ORDER BY kind")
    assert ledger == [
        (hashlib.sha256(b"m1").hexdigest(), "match"),
        (hashlib.sha256(b"n1").hexdigest(), "participant"),
    ]
    # The erasures file leaves the inbox; a later export repeats the person: still erased.
    (inbox / "erasures.csv").unlink()
    write_csv(inbox / "registrations_later.csv", [PARTICIPANT])
    run = run_ingest(inbox)
    assert mentions(run) == 0
    assert run.count("core.participants") == 1
    assert all(run.checks().values()), run.checks()


def test_erasure_finds_ids_written_with_surrounding_spaces(tmp_path: Path, run_ingest) -> None:
    """Validation reads a feedback row's `match_id` trimmed, so erasure must find ` m1 `
    too; likewise a person's id with spaces in a quarantined row, and in the request."""
    inbox = base_inbox(tmp_path / "inbox")
    partner_feedback = {**FEEDBACK, "feedback_id": "f2", "participant_id": "l1", "match_id": " m1 "}
    write_csv(
        inbox / "registrations.csv", [PARTICIPANT, LOCAL, {**PARTICIPANT, "participant_id": " n1"}]
    )
    write_csv(inbox / "feedback.csv", [FEEDBACK, partner_feedback])
    write_csv(inbox / "erasures.csv", [{"participant_id": "n1 ", "requested_at": "2026-02-01"}])
    run = run_ingest(inbox)
    assert all(run.checks().values()), run.checks()
    left = 0
    for schema, table, col in run.sql(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE column_name IN ('participant_id', 'newcomer_id', 'local_id', 'match_id') "
        "AND table_schema IN ('raw', 'quarantine', 'core', 'marts')"
    ):
        left += run.count(f"{schema}.{table} WHERE trim(\"{col}\") IN ('n1', 'm1')")
    assert left == 0
    assert run.sql("SELECT participant_id FROM core.participants") == [("l1",)]
    assert run.count("core.feedback") == 0
    assert run.sql("SELECT kind FROM meta.erasure_ledger ORDER BY kind") == [
        ("match",),
        ("participant",),
    ]


def test_free_ids_are_trimmed_alike_in_every_feed(tmp_path: Path, run_ingest) -> None:
    """A match written ` m1 ` is the match m1 wherever it appears (its feedback reads it
    trimmed), and a feedback id likewise; participant ids have their own character rule."""
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "matches.csv", [{**MATCH, "match_id": " m1 "}])
    write_csv(
        inbox / "feedback.csv",
        [
            {**FEEDBACK, "feedback_id": " f1", "match_id": " m1 "},
            {**FEEDBACK, "feedback_id": "f2", "participant_id": "l1", "match_id": "m1"},
        ],
    )
    run = run_ingest(inbox)
    assert all(run.checks().values()), run.checks()
    assert run.sql("SELECT match_id FROM core.matches") == [("m1",)]
    assert run.sql("SELECT feedback_id, match_id FROM core.feedback ORDER BY 1") == [
        ("f1", "m1"),
        ("f2", "m1"),
    ]
    assert run.count("quarantine.feedback") == 0


def test_values_are_trimmed_of_every_kind_of_white_space(tmp_path: Path, run_ingest) -> None:
    """Tabs, line breaks and Unicode spaces around a value are trimmed as spaces are (as
    Python's `str.strip()` does), in validation and in erasure alike."""
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(
        inbox / "registrations.csv",
        [
            {**PARTICIPANT, "city": "\tLeipzig\u2028", "group": " newcomer\t", "district": "\n"},
            {**LOCAL, "city": "Leipzig\r\n", "languages": "de\t;\ten"},
            {**LOCAL, "participant_id": "l2", "city": "\u3000Leipzig "},
        ],
    )
    write_csv(inbox / "matches.csv", [{**MATCH, "match_id": "m1\t"}])
    write_csv(inbox / "feedback.csv", [{**FEEDBACK, "match_id": "\tm1"}])
    write_csv(inbox / "erasures.csv", [{"participant_id": "l2\t", "requested_at": "2026-02-01"}])
    run = run_ingest(inbox)
    assert all(run.checks().values()), run.checks()
    assert run.sql(
        'SELECT participant_id, city, "group", district, languages FROM core.participants '
        "ORDER BY 1"
    ) == [
        ("l1", "Leipzig", "local", "Plagwitz", ["de", "en"]),
        ("n1", "Leipzig", "newcomer", None, ["ar", "en"]),
    ]
    assert run.sql("SELECT match_id FROM core.matches") == [("m1",)]
    assert run.sql("SELECT match_id FROM core.feedback") == [("m1",)]
    assert run.count("raw.registrations WHERE participant_id = 'l2'") == 0


def test_list_items_holding_a_semicolon_are_not_split(tmp_path: Path, run_ingest) -> None:
    """A JSON array or Parquet list item `de;en` is one item, not an ISO 639-1 code; a
    `;`-separated string is a list, in JSON Lines as in CSV."""
    inbox = base_inbox(tmp_path / "inbox")
    (inbox / "registrations.csv").unlink()
    write_jsonl(
        inbox / "registrations.jsonl",
        [
            {**PARTICIPANT, "languages": ["ar;en"]},
            {**LOCAL, "languages": "de;en", "interests": ["cooking", "football"]},
        ],
    )
    pq.write_table(
        pa.table(
            {
                **{k: [v, v] for k, v in PARTICIPANT.items()},
                "participant_id": ["p1", "p2"],
                "languages": [["de;en"], ["de", "en"]],
            }
        ),
        inbox / "registrations_more.parquet",
    )
    run = run_ingest(inbox)
    assert run.sql(
        "SELECT participant_id, languages, reason FROM quarantine.registrations ORDER BY 1"
    ) == [
        ("n1", '["ar;en"]', "languages: not an ISO 639-1 code"),
        ("p1", "[de;en]", "languages: not an ISO 639-1 code"),
    ]
    assert run.sql("SELECT participant_id, languages FROM core.participants ORDER BY 1") == [
        ("l1", ["de", "en"]),
        ("p2", ["de", "en"]),
    ]


def test_erasure_check_fails_when_a_row_slips_through(tmp_path: Path, run_ingest) -> None:
    from pipelines.defs.ingest.checks import erasure_complete
    from pipelines.resources import Warehouse

    inbox = base_inbox(tmp_path / "inbox")
    write_csv(inbox / "erasures.csv", [{"participant_id": "n1", "requested_at": "2026-02-01"}])
    run = run_ingest(inbox)
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute("INSERT INTO core.surveys (participant_id, wave) VALUES ('n1', 'baseline')")
    result = erasure_complete(Warehouse(path=str(run.warehouse)))
    assert not result.passed
    assert result.metadata["rows_naming_erased"].value == 1


def test_ge_check_fails_on_a_broken_core_table(tmp_path: Path, run_ingest) -> None:
    from pipelines.contract import FEEDS_BY_NAME
    from pipelines.defs.ingest.checks import run_suite
    from pipelines.resources import Warehouse

    run = run_ingest(base_inbox(tmp_path / "inbox"))
    warehouse = Warehouse(path=str(run.warehouse))
    assert run_suite(warehouse, FEEDS_BY_NAME["feedback"]).passed
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute("UPDATE core.feedback SET rating = 9")
    result = run_suite(warehouse, FEEDS_BY_NAME["feedback"])
    assert not result.passed
    failed = result.metadata["failed_expectations"].value
    assert failed == [
        {
            "expectation": "expect_column_values_to_be_between",
            "column": "rating",
            "unexpected_count": 1,
        }
    ]


def test_near_unique_text_is_stored_uncompressed(tmp_path: Path, run_ingest) -> None:
    """Each feed's ``uncompressed`` columns skip DuckDB's compression in raw and core (the
    analysis costs more than it saves on ids and timestamps); other text is compressed."""
    from pipelines.contract import FEEDS_BY_NAME

    inbox = base_inbox(tmp_path / "inbox")
    rows = [
        {
            **FEEDBACK,
            "feedback_id": f"fb-{i:06x}",
            "submitted_at": f"2026-01-12T20:{i // 60 % 60:02}:{i % 60:02}",
        }
        for i in range(3000)
    ]
    write_csv(inbox / "feedback.csv", rows)
    run = run_ingest(inbox)
    storage: dict[tuple[str, str], list[str]] = {}
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute("FORCE CHECKPOINT")
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'core')"
        ).fetchall()
        for (table,) in tables:
            for column, kinds in con.execute(
                f"""SELECT column_name, list(DISTINCT compression ORDER BY compression)
                FROM pragma_storage_info('{table}') WHERE segment_type = 'VARCHAR' GROUP BY ALL"""
            ).fetchall():
                storage[(table, column)] = kinds
    for feed in ("registrations", "matches", "feedback", "surveys"):
        core = f"core.{'participants' if feed == 'registrations' else feed}"
        for column in FEEDS_BY_NAME[feed].uncompressed:
            assert storage[(f"raw.{feed}", column)] == ["Uncompressed"], (feed, column)
            if (core, column) in storage:  # still text in core (ids; timestamps are typed)
                assert storage[(core, column)] == ["Uncompressed"], (core, column)
    assert storage[("core.feedback", "event_kind")] != ["Uncompressed"]
    assert storage[("raw.feedback", "event_date")] != ["Uncompressed"]
    assert run.count("core.feedback") == 3000
