"""Hostile input (CONTRACT.md, "Hostile input and faults, precisely").

Each explicit case writes one hostile file next to a small valid inbox and materialises the
real ingest assets with Dagster into a copy of a warehouse that already holds an earlier run,
so "the warehouse is unchanged" is checked against real content. A large-file case measures
the peak memory of a subprocess ingesting a few million rows, and a Hypothesis property
fuzzes rows and file damage for every feed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from ingest_helpers import (
    AS_OF,
    FEEDBACK,
    LOCAL,
    MATCH,
    PARTICIPANT,
    SURVEY,
    Run,
    base_inbox,
    ingest,
    write_csv,
    write_jsonl,
)

from pipelines.contract import FEEDS

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
FEED_COLUMNS = {feed.name: feed.columns for feed in FEEDS}
CORE_TABLE = {feed.name: feed.core_table for feed in FEEDS}
#: Columns that hold the time of the run, not data: left out of content comparisons.
VOLATILE = {"_ingested_at", "ingested_at", "validated_at", "recorded_at", "checked_at"}
EXTRA = {**PARTICIPANT, "participant_id": "x1", "district": "Lindenau"}


# --------------------------------------------------------------------------------------------
# helpers


def csv_field(value: str) -> str:
    """One RFC 4180 field: quoted when it holds a comma, a quote or a line break."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(values) -> str:
    return ",".join(csv_field(str(v)) for v in values)


def csv_bytes(
    header: list[str], rows: list[list[str]], *, eol: str = "\n", final_eol: bool = True
) -> bytes:
    lines = [csv_line(header), *(csv_line(r) for r in rows)]
    return (eol.join(lines) + (eol if final_eol else "")).encode("utf-8")


def snapshot(warehouse: Path) -> dict[str, tuple]:
    """Row count and an order-independent content hash of every table (run times left out)."""
    out: dict[str, tuple] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            cols = [
                c
                for c, *_ in con.execute(f'DESCRIBE "{schema}"."{table}"').fetchall()
                if c not in VOLATILE
            ]
            expr = ", ".join(f'"{c}"' for c in cols)
            out[f"{schema}.{table}"] = con.execute(
                f'SELECT count(*), sum(hash({expr})::HUGEINT) FROM "{schema}"."{table}"'
            ).fetchone()
    return out


def user_error(run: Run) -> tuple[str, str, str]:
    """(step, exception class, message) of the one failed step of a run."""
    failures = run.result.get_step_failure_events()
    assert len(failures) == 1, [f.step_key for f in failures]
    error = failures[0].event_specific_data.error
    cause = error.cause or error
    message = cause.message.strip()
    head, sep, rest = message.partition(": ")
    if sep and head.endswith(cause.cls_name):  # "pipelines...UnreadableFileError: <text>"
        message = rest
    return failures[0].step_key, cause.cls_name, message


@pytest.fixture(scope="module")
def prior(tmp_path_factory) -> tuple[Path, dict]:
    """A warehouse holding a complete earlier ingest (base inbox plus one more person)."""
    tmp = tmp_path_factory.mktemp("prior")
    inbox = base_inbox(tmp / "inbox")
    write_csv(inbox / "registrations_extra.csv", [EXTRA])
    warehouse = tmp / "prior.duckdb"
    run = ingest(inbox, warehouse)
    assert run.result.success and run.count("core.participants") == 3
    return warehouse, snapshot(warehouse)


class Case:
    """One hostile inbox: the base inbox, with files replaced or removed, over the prior warehouse."""

    def __init__(self, tmp: Path, prior: tuple[Path, dict]) -> None:
        self.inbox = base_inbox(tmp / "inbox")
        self.warehouse = tmp / "wh.duckdb"
        shutil.copyfile(prior[0], self.warehouse)
        if prior[0].with_name(prior[0].name + ".wal").exists():
            shutil.copyfile(prior[0].with_name(prior[0].name + ".wal"), tmp / "wh.duckdb.wal")
        self.before = prior[1]

    def put(self, name: str, data: bytes) -> Path:
        path = self.inbox / name
        path.write_bytes(data)
        return path

    def drop(self, *names: str) -> None:
        for name in names:
            (self.inbox / name).unlink()

    def run(self) -> Run:
        return ingest(self.inbox, self.warehouse, raise_on_error=False)

    def assert_fails_naming(self, run: Run, name: str) -> str:
        """The run failed in raw_inbox naming ``name``, and no table changed."""
        assert not run.result.success
        step, cls, message = user_error(run)
        assert (step, cls) == ("raw_inbox", "UnreadableFileError"), (step, cls, message)
        assert name in message, message
        assert snapshot(self.warehouse) == self.before
        return message

    def assert_balanced(self, run: Run) -> None:
        assert run.result.success, user_error(run)
        assert all(run.checks().values()), run.checks()
        for feed, read, quarantined, core, superseded in run.sql(
            "SELECT feed, rows_read, rows_quarantined, rows_core, rows_superseded "
            "FROM meta.feed_counts"
        ):
            assert read == quarantined + core + superseded, feed
            assert run.count(f"raw.{feed}") == read
            assert run.count(f"quarantine.{feed}") == quarantined
            if CORE_TABLE[feed]:
                assert run.count(f"core.{CORE_TABLE[feed]}") == core


FB_HEADER = list(FEEDBACK)


def fb_values(**overrides: str) -> list[str]:
    return list({**FEEDBACK, **overrides}.values())


# --------------------------------------------------------------------------------------------
# row level: ragged rows, huge fields, NUL, free text, enums, ids, lists


def test_ragged_rows_are_quarantined_with_a_row_reason(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    too_many = csv_line(fb_values(feedback_id="f2")) + ",surplus"
    too_few = csv_line(fb_values(feedback_id="f3")[:5])
    body = "\n".join(
        [
            csv_line(FB_HEADER),
            csv_line(fb_values(feedback_id="f1")),
            too_many,
            too_few,
            csv_line(fb_values(feedback_id="f4", comment="after, the ragged rows")),
        ]
    )
    case.put("feedback.csv", (body + "\n").encode())
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT _source_row, reason, _raw_line FROM quarantine.feedback ORDER BY 1") == [
        (2, "row: too many fields", too_many),
        (3, "row: too few fields", too_few),
    ]
    assert run.sql("SELECT feedback_id, _source_row FROM core.feedback ORDER BY 1") == [
        ("f1", 1),
        ("f4", 4),
    ]
    assert run.sql(
        "SELECT rows_read, rows_quarantined, rows_core FROM meta.feed_counts "
        "WHERE feed = 'feedback'"
    ) == [(4, 2, 2)]


def test_badly_quoted_rows_are_quarantined_with_a_row_reason(tmp_path: Path, prior) -> None:
    # Text after a closing quote, then an unterminated quote, which makes the rest of the
    # file one bad row: it is quarantined whole (its text kept), never a file failure.
    case = Case(tmp_path, prior)
    after_quote = csv_line(fb_values(feedback_id="f2")).replace(
        ",tandem_meeting,", ',"tandem"_meeting,'
    )
    unterminated = csv_line(fb_values(feedback_id="f4")).replace(",n1,", ',"n1,')
    last = csv_line(fb_values(feedback_id="f5"))
    body = "\n".join(
        [
            csv_line(FB_HEADER),
            csv_line(fb_values(feedback_id="f1")),
            after_quote,
            csv_line(fb_values(feedback_id="f3", comment='a "quote" inside')),
            unterminated,
            last,
        ]
    )
    case.put("feedback.csv", (body + "\n").encode())
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT _source_row, reason, _raw_line FROM quarantine.feedback ORDER BY 1") == [
        (2, "row: badly quoted field", after_quote),
        (4, "row: badly quoted field", unterminated + "\n" + last + "\n"),
    ]
    assert run.sql("SELECT feedback_id, _source_row, comment FROM core.feedback ORDER BY 1") == [
        ("f1", 1, "Schön war's"),
        ("f3", 3, 'a "quote" inside'),
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_10_mb_comment_is_quarantined_not_a_reader_failure(
    tmp_path: Path, prior, fmt: str
) -> None:
    case = Case(tmp_path, prior)
    huge = "Ä" * 5_000_000 + "x" * 5_000_000  # 10 million characters, 15 MB of UTF-8
    rows = [
        {**FEEDBACK, "feedback_id": "f1"},
        {**FEEDBACK, "feedback_id": "big", "comment": huge},
        {**FEEDBACK, "feedback_id": "f3"},
    ]
    case.drop("feedback.csv")
    if fmt == "csv":
        write_csv(case.inbox / "feedback.csv", rows)
    else:
        write_jsonl(case.inbox / "feedback.jsonl", rows)
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT feedback_id, reason, length(comment) FROM quarantine.feedback") == [
        ("big", "comment: longer than 2000 characters", 10_000_000)
    ]
    assert run.sql("SELECT feedback_id FROM core.feedback ORDER BY 1") == [("f1",), ("f3",)]


def test_a_10_mb_comment_of_short_lines_is_quarantined_not_a_reader_failure(
    tmp_path: Path, prior
) -> None:
    # One quoted record of 200,000 short lines: longer than the reader's first line limit
    # (sized from the longest physical line), so the limit has to grow to the record.
    case = Case(tmp_path, prior)
    huge = "\n".join(["x" * 50] * 200_000)
    case.drop("feedback.csv")
    write_csv(
        case.inbox / "feedback.csv",
        [
            {**FEEDBACK, "feedback_id": "big", "comment": huge},
            {**FEEDBACK, "feedback_id": "f2"},
        ],
    )
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT feedback_id, reason, comment FROM quarantine.feedback") == [
        ("big", "comment: longer than 2000 characters", huge)
    ]
    assert run.sql("SELECT feedback_id, _source_row FROM raw.feedback ORDER BY 1") == [
        ("big", 1),
        ("f2", 2),
    ]


def test_nul_bytes_inside_fields_are_kept_or_removed_never_a_crash(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    write_csv(
        case.inbox / "feedback.csv",
        [
            {**FEEDBACK, "feedback_id": "f1", "comment": "vor\x00nach"},
            {**FEEDBACK, "feedback_id": "f2", "comment": "\x00"},
        ],
    )
    write_csv(
        case.inbox / "registrations.csv", [{**PARTICIPANT, "district": "Con\x00newitz"}, LOCAL]
    )
    run = case.run()
    case.assert_balanced(run)
    comments = dict(run.sql("SELECT feedback_id, comment FROM core.feedback"))
    assert comments["f1"] in ("vor\x00nach", "vornach")
    assert comments["f2"] in ("\x00", None)  # a removed NUL leaves an empty field = NULL
    (district,) = run.sql("SELECT district FROM core.participants WHERE participant_id = 'n1'")[0]
    assert district in ("Con\x00newitz", "Connewitz")


FORMULA = '=HYPERLINK("http://x")'
SCRIPT = "<script>alert(1)</script>"


def test_formulas_and_markup_are_stored_verbatim(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    write_csv(
        case.inbox / "registrations.csv",
        [
            {**PARTICIPANT, "city": FORMULA, "district": SCRIPT},
            {**LOCAL, "city": SCRIPT, "district": FORMULA},
        ],
    )
    write_csv(
        case.inbox / "feedback.csv",
        [
            {**FEEDBACK, "feedback_id": "f1", "comment": FORMULA},
            {**FEEDBACK, "feedback_id": "f2", "comment": SCRIPT},
            {**FEEDBACK, "feedback_id": "f3", "comment": "+49 341 1234, -1, @me, \tTab"},
        ],
    )
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT participant_id, city, district FROM core.participants ORDER BY 1") == [
        ("l1", SCRIPT, FORMULA),
        ("n1", FORMULA, SCRIPT),
    ]
    assert run.sql("SELECT feedback_id, comment FROM core.feedback ORDER BY 1") == [
        ("f1", FORMULA),
        ("f2", SCRIPT),
        ("f3", "+49 341 1234, -1, @me, \tTab"),
    ]


def test_enum_values_differing_by_case_or_spaces_are_normalised(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    write_csv(
        case.inbox / "registrations.csv",
        [
            {**PARTICIPANT, "group": "Newcomer ", "gender": " FEMALE", "status": "Matched"},
            {**LOCAL, "group": "  LOCAL", "gender_preference": "Any ", "consent_research": "YES"},
        ],
    )
    write_csv(
        case.inbox / "feedback.csv",
        [{**FEEDBACK, "event_kind": "TANDEM_MEETING", "attended": " True"}],
    )
    write_csv(case.inbox / "surveys.csv", [{**SURVEY, "wave": " Baseline"}])
    run = case.run()
    case.assert_balanced(run)
    assert run.sql(
        'SELECT participant_id, "group", gender, status, gender_preference, consent_research '
        "FROM core.participants ORDER BY 1"
    ) == [
        ("l1", "local", "male", "matched", "any", True),
        ("n1", "newcomer", "female", "matched", "any", True),
    ]
    assert run.sql("SELECT event_kind, attended FROM core.feedback") == [("tandem_meeting", True)]
    assert run.sql("SELECT wave FROM core.surveys") == [("baseline",)]
    assert run.count("quarantine.registrations") == 0


def test_a_lookalike_letter_from_another_alphabet_is_quarantined(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    write_csv(
        case.inbox / "registrations.csv",
        [
            PARTICIPANT,
            LOCAL,
            {**PARTICIPANT, "participant_id": "c1", "group": "nеwcomer"},  # Cyrillic е
            {**PARTICIPANT, "participant_id": "c2", "gender": "femаle"},  # Cyrillic а
            {**PARTICIPANT, "participant_id": "c3", "status": "waitіng"},  # Ukrainian і
            {**PARTICIPANT, "participant_id": "c4", "languages": "аr"},  # Cyrillic а
        ],
    )
    write_csv(
        case.inbox / "feedback.csv", [{**FEEDBACK, "event_kind": "tаndem_meeting"}]
    )  # Cyrillic а
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT participant_id, reason FROM quarantine.registrations ORDER BY 1") == [
        ("c1", "group: not one of newcomer, local"),
        ("c2", "gender: not one of female, male, diverse, unspecified"),
        ("c3", "status: not one of waiting, matched, paused, left"),
        ("c4", "languages: not an ISO 639-1 code"),
    ]
    assert run.reasons("feedback") == ["event_kind: not one of tandem_meeting, group_event"]


def test_an_id_of_65_characters_is_quarantined(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    write_csv(
        case.inbox / "registrations.csv",
        [
            PARTICIPANT,
            LOCAL,
            {**PARTICIPANT, "participant_id": "a" * 65},
            {**PARTICIPANT, "participant_id": "b" * 64},
        ],
    )
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT length(participant_id), reason FROM quarantine.registrations") == [
        (65, "participant_id: must be 1-64 characters of A-Z a-z 0-9 _ -")
    ]
    assert run.sql("SELECT max(length(participant_id)) FROM core.participants") == [(64,)]


def test_jsonl_lists_as_string_and_as_array_are_both_accepted(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    case.drop("registrations.csv")
    write_jsonl(
        case.inbox / "registrations.jsonl",
        [
            {**PARTICIPANT, "languages": "ar; EN;", "interests": ["football", "cooking", ""]},
            {
                **LOCAL,
                "languages": ["de", " en "],
                "interests": "cooking",
                "availability": [],
                "learning_languages": None,
                "birth_year": 1985,
                "consent_research": True,
            },
        ],
    )
    run = case.run()
    case.assert_balanced(run)
    assert run.sql(
        "SELECT participant_id, languages, interests, availability, learning_languages, "
        "birth_year, consent_research FROM core.participants ORDER BY 1"
    ) == [
        ("l1", ["de", "en"], ["cooking"], [], [], 1985, True),
        (
            "n1",
            ["ar", "en"],
            ["cooking", "football"],
            ["mon_evening", "sat_morning"],
            ["de"],
            1990,
            True,
        ),
    ]


# --------------------------------------------------------------------------------------------
# file level: encodings, empty and header-only files, duplicate columns, line endings

INVALID_UTF8 = {
    "latin1_in_a_field": (b"Sch", b"Sch\xf6"),
    "lone_continuation": (b"Sch", b"Sch\x80"),
    "overlong_slash": (b"Sch", b"Sch\xc0\xaf"),
    "utf16_surrogate": (b"Sch", b"Sch\xed\xa0\x80"),
    "above_u10ffff": (b"Sch", b"Sch\xf4\x90\x80\x80"),
    "truncated_at_end_of_file": (b"2026-01-12T20:00:00\n", b"2026-01-12T20:00:00\xe2\x82"),
}


@pytest.mark.parametrize("damage", list(INVALID_UTF8))
def test_invalid_utf8_in_a_csv_fails_naming_the_file(tmp_path: Path, prior, damage: str) -> None:
    case = Case(tmp_path, prior)
    old, new = INVALID_UTF8[damage]
    rows = [fb_values(feedback_id=f"g{i}") for i in range(3)]
    data = csv_bytes(FB_HEADER, rows)
    data = data[: data.rindex(old)] + new + data[data.rindex(old) + len(old) :]
    case.put("feedback_2026.csv", data)
    case.assert_fails_naming(case.run(), "feedback_2026.csv")


def test_invalid_utf8_deep_in_a_large_csv_fails_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    rows = [fb_values(feedback_id=f"g{i}", comment="ok " * 20) for i in range(60_000)]
    data = csv_bytes(FB_HEADER, rows)
    cut = len(data) - 500  # past DuckDB's first buffers and its sniffing sample
    case.put("feedback_2026.csv", data[:cut] + b"\xff" + data[cut:])
    message = case.assert_fails_naming(case.run(), "feedback_2026.csv")
    assert "UTF-8" in message


# Regression test (was a bug, fixed): read.py::_read_csv: invalid UTF-8 in a field past the header's column count  (a 'too many fields' row) is not detected; DuckDB replaces the bytes with
def test_invalid_utf8_in_a_surplus_field_fails_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    good = csv_line(fb_values(feedback_id="f1")).encode()
    surplus = csv_line(fb_values(feedback_id="f2")).encode() + b",\xe9t\xe9"
    case.put("feedback_2026.csv", b"\n".join([csv_line(FB_HEADER).encode(), good, surplus, b""]))
    case.assert_fails_naming(case.run(), "feedback_2026.csv")


def test_invalid_utf8_in_jsonl_fails_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    lines = [json.dumps({**FEEDBACK, "feedback_id": f"g{i}"}, ensure_ascii=False) for i in range(3)]
    data = ("\n".join(lines) + "\n").encode()
    at = data.rindex("Schön".encode())
    case.put("feedback_2026.jsonl", data[:at] + b"Sch\xf6n" + data[at + len("Schön".encode()) :])
    case.assert_fails_naming(case.run(), "feedback_2026.jsonl")


@pytest.mark.parametrize("name", ["surveys_2026.csv", "surveys_2026.jsonl", "surveys_2026.parquet"])
def test_an_empty_file_fails_naming_the_file(tmp_path: Path, prior, name: str) -> None:
    case = Case(tmp_path, prior)
    case.put(name, b"")
    assert "empty" in case.assert_fails_naming(case.run(), name)


@pytest.mark.parametrize(
    "header", [b"%s\n", b"%s", b"\xef\xbb\xbf%s\r\n"], ids=["lf", "no_final_newline", "bom_crlf"]
)
def test_a_header_only_file_is_valid_and_has_no_rows(tmp_path: Path, prior, header: bytes) -> None:
    case = Case(tmp_path, prior)
    case.put("surveys_2026.csv", header % ",".join(SURVEY).encode())
    run = case.run()
    case.assert_balanced(run)
    assert run.sql(
        "SELECT rows_read FROM meta.source_files WHERE file_name = 'surveys_2026.csv'"
    ) == [(0,)]
    assert run.count("core.surveys") == 1


@pytest.mark.parametrize(
    "header",
    [
        "match_id,newcomer_id,local_id,matched_at,match_id",
        "match_id,newcomer_id,local_id,matched_at,end_reason,end_reason",
        "match_id,newcomer_id,local_id,matched_at, Match_ID",
    ],
    ids=["required_twice", "optional_twice", "differs_by_case_and_space"],
)
def test_duplicate_csv_column_names_fail_naming_the_file(
    tmp_path: Path, prior, header: str
) -> None:
    case = Case(tmp_path, prior)
    width = header.count(",") + 1
    row = ["m1", "n1", "l1", "2026-01-10T10:00:00Z", "", ""][:width]
    case.put("matches_2026.csv", f"{header}\n{','.join(row)}\n".encode())
    assert "duplicate" in case.assert_fails_naming(case.run(), "matches_2026.csv")


# Regression test (was a bug, fixed): read.py::_read_jsonl: a key repeated inside one JSON object is not reported;  SELECT DISTINCT unnest(json_keys(json)) hides it and the first value sil
def test_duplicate_jsonl_keys_fail_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    case.put(
        "matches_2026.jsonl",
        b'{"match_id": "m1", "newcomer_id": "n1", "local_id": "l1", '
        b'"matched_at": "2026-01-10T10:00:00Z", "match_id": "m2"}\n',
    )
    case.assert_fails_naming(case.run(), "matches_2026.jsonl")


# Regression test (was a bug, fixed): read.py::_read_parquet: DuckDB's DESCRIBE renames a repeated Parquet column  (match_id, match_id_1), so _check_columns never sees the duplicate and th
def test_duplicate_parquet_columns_fail_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    table = pa.Table.from_arrays(
        [pa.array([v]) for v in ("m1", "n1", "l1", "2026-01-10T10:00:00Z", "m2")],
        names=["match_id", "newcomer_id", "local_id", "matched_at", "match_id"],
    )
    pq.write_table(table, case.inbox / "matches_2026.parquet")
    case.assert_fails_naming(case.run(), "matches_2026.parquet")


@pytest.mark.parametrize(
    ("eol", "final_eol", "bom"),
    [("\r\n", True, False), ("\r\n", False, False), ("\n", False, False), ("\r\n", False, True)],
    ids=["crlf", "crlf_no_final_newline", "lf_no_final_newline", "bom_crlf_no_final_newline"],
)
def test_crlf_and_a_missing_final_newline_read_transparently(
    tmp_path: Path, prior, eol: str, final_eol: bool, bom: bool
) -> None:
    case = Case(tmp_path, prior)
    rows = [
        fb_values(feedback_id="f1", comment="zwei\r\nZeilen"),
        fb_values(feedback_id="f2", submitted_at="2026-01-12T21:00:00+01:00"),
    ]
    data = csv_bytes(FB_HEADER, rows, eol=eol, final_eol=final_eol)
    case.put("feedback.csv", (b"\xef\xbb\xbf" if bom else b"") + data)
    run = case.run()
    case.assert_balanced(run)
    assert run.sql("SELECT feedback_id, comment, submitted_at FROM core.feedback ORDER BY 1") == [
        ("f1", "zwei\r\nZeilen", datetime(2026, 1, 12, 19, 0, tzinfo=UTC)),
        ("f2", "Schön war's", datetime(2026, 1, 12, 20, 0, tzinfo=UTC)),
    ]
    assert run.count("quarantine.feedback") == 0


def test_mixed_crlf_and_lf_line_endings_read_transparently(tmp_path: Path, prior) -> None:
    # Records ending in CRLF and in LF in one file (DuckDB's strict reader alone fails it),
    # with quoted line breaks of both kinds and a lone CR kept verbatim, a ragged row after
    # an empty line numbered by records, and the BOM of a spreadsheet export.
    case = Case(tmp_path, prior)
    lines = [
        csv_line(FB_HEADER) + "\n",
        csv_line(fb_values(feedback_id="x1", comment="zwei\r\nZeilen")) + "\r\n",
        csv_line(fb_values(feedback_id="x2", comment="a\nb\rc")) + "\n",
        "\r\n",
        "f3,too,few\r\n",
        csv_line(fb_values(feedback_id="x4", comment='"zitiert", ja')) + "\n",
    ]
    case.put("feedback_mixed.csv", b"\xef\xbb\xbf" + "".join(lines).encode())
    run = case.run()
    case.assert_balanced(run)
    assert run.sql(
        "SELECT feedback_id, _source_row, comment FROM raw.feedback "
        "WHERE _source_file = 'feedback_mixed.csv' ORDER BY 2"
    ) == [
        ("x1", 1, "zwei\r\nZeilen"),
        ("x2", 2, "a\nb\rc"),
        (None, 3, None),
        ("x4", 4, '"zitiert", ja'),
    ]
    assert run.sql(
        "SELECT _source_row, reason FROM quarantine.feedback "
        "WHERE _source_file = 'feedback_mixed.csv'"
    ) == [(3, "row: too few fields")]
    assert run.sql(
        "SELECT feedback_id, comment FROM core.feedback WHERE feedback_id IN ('x1', 'x2', 'x4') "
        "ORDER BY 1"
    ) == [("x1", "zwei\r\nZeilen"), ("x2", "a\nb\rc"), ("x4", '"zitiert", ja')]


def test_mixed_line_endings_with_bad_quoting_fail_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    lines = [
        csv_line(FB_HEADER) + "\r\n",
        csv_line(fb_values(feedback_id="x1")) + "\n",
        '"x"2' + csv_line(fb_values(feedback_id="x2"))[2:] + "\r\n",
    ]
    case.put("feedback_mixed.csv", "".join(lines).encode())
    assert "bad quoting" in case.assert_fails_naming(case.run(), "feedback_mixed.csv")


# Regression test (was a bug, fixed): read.py::_csv_header: a file with CR-only line endings raises a bare  _csv.Error ('new-line character seen in unquoted field') that does not name the
def test_cr_only_line_endings_are_read_or_fail_naming_the_file(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    case.put("feedback_mac.csv", csv_bytes(FB_HEADER, [fb_values(feedback_id="f9")], eol="\r"))
    run = case.run()
    if run.result.success:
        assert run.sql("SELECT count(*) FROM core.feedback WHERE feedback_id = 'f9'") == [(1,)]
    else:
        case.assert_fails_naming(run, "feedback_mac.csv")


# Regression test (was a bug, fixed): read.py::_read_csv: an empty header cell (a trailing comma, common in  spreadsheet exports) becomes read_csv(columns={'': 'VARCHAR'}) and fails with
def test_an_unnamed_extra_csv_column_is_read_or_named_as_the_problem(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    header = ",".join(SURVEY) + ","
    row = ",".join({**SURVEY, "participant_id": "l1"}.values()) + ","
    case.put("surveys_2026.csv", f"{header}\n{row}\n".encode())
    run = case.run()
    if run.result.success:
        assert run.count("core.surveys") == 2
    else:
        assert "column" in case.assert_fails_naming(run, "surveys_2026.csv")


# Regression test (was a bug, fixed): an extra JSONL key with a quote or an empty key broke the JSON path.
def test_an_unknown_jsonl_key_with_a_quote_is_ignored(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    case.drop("surveys.csv")
    write_jsonl(case.inbox / "surveys.jsonl", [{**SURVEY, 'note "internal"': 1, "": 2}])
    run = case.run()
    case.assert_balanced(run)
    assert run.count("core.surveys") == 1


# Regression test (was a bug, fixed): read.py::_read_jsonl: a line that is JSON but not an object (an array) becomes  a raw row of NULLs: quarantined as 'feedback_id: required; ...' with i
def test_a_jsonl_line_that_is_not_an_object_keeps_its_content(tmp_path: Path, prior) -> None:
    case = Case(tmp_path, prior)
    line = '["f7", "n1", "tandem_meeting"]'
    case.put("feedback_2026.jsonl", (json.dumps(FEEDBACK) + "\n" + line + "\n").encode())
    run = case.run()
    if run.result.success:
        assert run.sql("SELECT _raw_line FROM quarantine.feedback WHERE _source_row = 2") == [
            (line,)
        ]
    else:
        case.assert_fails_naming(run, "feedback_2026.jsonl")


# --------------------------------------------------------------------------------------------
# a large file: memory stays bounded

BIG_ROWS = 3_000_000
RSS_BOUND_BYTES = 3 * 1024**3

CHILD = """
import sys
from pathlib import Path
import dagster as dg
from pipelines.definitions import INGEST_ASSETS
from pipelines.defs.ingest.checks import INGEST_CHECKS
from pipelines.resources import Settings, Warehouse
inbox, warehouse, memory_limit, as_of = sys.argv[1:5]
reports = str(Path(warehouse).parent / "reports")
result = dg.materialize(
    [*INGEST_ASSETS, *INGEST_CHECKS],
    resources={
        "settings": Settings(inbox=inbox, as_of=as_of, reports=reports),
        "warehouse": Warehouse(path=warehouse, memory_limit=memory_limit),
    },
    raise_on_error=False,
)
for event in result.get_step_failure_events():
    error = event.event_specific_data.error
    print("FAILED", event.step_key, (error.cause or error).message.splitlines()[0])
print("SUCCESS" if result.success else "FAILURE")
"""


def write_big_feedback(inbox: Path, rows: int) -> Path:
    """``rows`` feedback rows (about 80 bytes each) by DuckDB's COPY; 1 in 1000 has rating 6."""
    path = inbox / "feedback_big.csv"
    with duckdb.connect() as con:
        con.execute(
            f"""COPY (
            SELECT 'f' || i AS feedback_id,
                   CASE WHEN i % 2 = 0 THEN 'n1' ELSE 'l1' END AS participant_id,
                   CASE WHEN i % 10 = 0 THEN 'group_event' ELSE 'tandem_meeting' END AS event_kind,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'm1' END AS match_id,
                   CASE WHEN i % 10 = 0 THEN 'ev-' || (i % 97) END AS event_id,
                   DATE '2026-01-12' + CAST(i % 150 AS INTEGER) AS event_date,
                   CASE WHEN i % 7 = 0 THEN 'false' ELSE 'true' END AS attended,
                   CASE WHEN i % 1000 = 0 THEN '6' ELSE CAST(1 + i % 5 AS VARCHAR) END AS rating,
                   CASE WHEN i % 3 = 0 THEN 'true' END AS would_meet_again,
                   CASE WHEN i % 10 = 0 THEN CAST(i % 7 AS VARCHAR) END AS new_contacts_other_group,
                   CASE WHEN i % 4 = 0 THEN 'Schön, "gut"' END AS comment,
                   '2026-01-12T20:00:00+01:00' AS submitted_at
            FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
        )
    return path


@pytest.fixture(scope="module")
def big_inbox(tmp_path_factory) -> Path:
    inbox = base_inbox(tmp_path_factory.mktemp("big") / "inbox")
    write_big_feedback(inbox, BIG_ROWS)
    return inbox


def ingest_in_subprocess(inbox: Path, warehouse: Path, memory_limit: str) -> tuple[str, int, float]:
    """Run the ingest in a child process; returns its output, its peak RSS (bytes), seconds."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS)]),
        "GX_ANALYTICS_ENABLED": "false",
    }
    out = warehouse.with_suffix(".log")
    started = time.monotonic()
    with out.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(inbox), str(warehouse), memory_limit, AS_OF],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    return out.read_text(errors="replace"), usage.ru_maxrss * 1024, seconds


@pytest.mark.e2e
def test_a_few_million_rows_ingest_with_bounded_memory(big_inbox: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    output, rss, seconds = ingest_in_subprocess(big_inbox, warehouse, "4GB")
    print(f"{BIG_ROWS:,} rows: {seconds:.1f} s, peak RSS {rss / 1024**2:.0f} MiB")
    assert output.rstrip().endswith("SUCCESS"), output[-3000:]
    assert rss < RSS_BOUND_BYTES, f"peak RSS {rss / 1024**2:.0f} MiB"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT rows_read, rows_quarantined, rows_core, rows_superseded "
            "FROM meta.feed_counts WHERE feed = 'feedback'"
        ).fetchone() == (BIG_ROWS + 1, BIG_ROWS // 1000, BIG_ROWS - BIG_ROWS // 1000, 1)


@pytest.mark.e2e
# Regression test (was a bug, fixed): read.py::_read_csv: max_line_size=512 MB makes DuckDB's CSV buffer  16 x 512 MB, capped at the file size, so the whole file is one allocation: a CSV
def test_csv_reading_memory_does_not_grow_with_the_file_size(
    big_inbox: Path, tmp_path: Path
) -> None:
    output, _, _ = ingest_in_subprocess(big_inbox, tmp_path / "wh.duckdb", "256MB")
    assert output.rstrip().endswith("SUCCESS"), output[-2000:]


# --------------------------------------------------------------------------------------------
# property: random rows and file damage never crash the ingest and every row is accounted for

BASE_ROWS = {
    "registrations": [PARTICIPANT, LOCAL],
    "matches": [MATCH],
    "feedback": [
        FEEDBACK,
        {**FEEDBACK, "event_kind": "group_event", "match_id": "", "event_id": "ev1"},
    ],
    "surveys": [SURVEY, {**SURVEY, "participant_id": "l1", "wave": "followup_3m"}],
    "erasures": [{"participant_id": "gone-1", "requested_at": "2026-02-01T08:00:00Z"}],
}
IN_BASE_INBOX = {"registrations": 2, "matches": 1, "feedback": 1, "surveys": 1, "erasures": 0}
SPECIAL = [
    *["", " ", "  ", ";", " ; ;", "a;b", "de;EN ; fr", "xx;de", "NULL", "null", "None", "N/A"],
    *["true", "FALSE", "yes", "0", "1", "-1", "+3", "4.5", "1e3", "1,5", "-0", "007"],
    *["99999999999999999999", "2147483648", "-2147483649", "NaN", "inf"],
    *["2026-01-05", "2026-02-30", "2026-01-05T10:00:00", "2026-01-05T10:00:00+01:00"],
    *["2026-01-05 10:00Z", "2026-03-29T02:30:00", "2025-10-26T02:30:00", "20260105"],
    *["2026-06-30T23:30:00+02:00", "2026-06-30T22:30:00Z", "0000-01-01T00:00:00"],
    *["9999-12-31T23:59:59-14:00", "2026-01-05T10:00:00+99:99", "2026-01-05T24:00:00"],
    *['"', '""', "'", "=1+1", "@SUM(A1)", "-2+3", "<b>x</b>", "\x00", "a\x00b", "\t", "\r"],
    *["\n", "a\r\nb", "ä", "\u202e", "\ufeff", "ｎ１", "n1", "l1", "m1", "ev1", "newcomer"],
    *["Local ", "tandem_meeting", "GROUP_EVENT", "baseline", "followup_12m", "nеwcomer"],
    *["completed", "any", "same", "female", "waiting", "cooking;football", "mon_evening"],
]
OFFSETS = [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-12))]
VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats().map(repr),
    st.dates(min_value=date(1899, 1, 1), max_value=date(2100, 1, 1)).map(str),
    st.datetimes(
        min_value=datetime(1899, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(OFFSETS),
    ).map(lambda d: d.isoformat(sep=" " if d.microsecond % 2 else "T")),
    st.lists(
        st.sampled_from(["ar", "de", "en", " Fr", "xx", "cooking", "chess", "sat_morning", ""]),
        max_size=4,
    ).map(";".join),
)


@st.composite
def fuzz_file(draw, feed: str) -> dict:
    """A CSV of one feed: near-valid rows with random values, and random damage."""
    columns = list(FEED_COLUMNS[feed])
    required = next(f.required for f in FEEDS if f.name == feed)
    optional = [c for c in columns if c not in required]
    dropped = draw(st.sets(st.sampled_from(optional))) if optional else set()
    columns = [c for c in columns if c not in dropped]
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in columns]
    lines, quoted = [csv_line(header)], False
    rows = draw(st.lists(st.sampled_from(BASE_ROWS[feed]), max_size=8))
    for base in rows:
        row = {**base, **draw(st.dictionaries(st.sampled_from(columns), VALUES, max_size=4))}
        if feed == "erasures":  # never erase the base inbox's people: counts stay comparable
            row["participant_id"] = "gone-" + row["participant_id"]
        values = [row.get(c, "") for c in columns]
        damage = draw(st.sampled_from(["none"] * 6 + ["more", "fewer", "quote"]))
        if damage == "more":
            values += draw(st.lists(VALUES, min_size=1, max_size=2))
        elif damage == "fewer":
            values = values[: draw(st.integers(1, len(values) - 1))]
        line = csv_line(values)
        if not line.strip():
            line = "x"  # a blank line is no record
        if damage == "quote":
            at = draw(st.integers(0, len(line)))
            line, quoted = line[:at] + '"' + line[at:], True
        lines.append(line)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return {
        "name": f"{feed}_fuzz.csv",
        "data": bom + text.encode("utf-8"),
        "records": len(lines) - 1,
        "quote_damage": quoted,
    }


@st.composite
def fuzz_inbox(draw) -> dict[str, dict]:
    feeds = draw(st.sets(st.sampled_from(list(FEED_COLUMNS)), min_size=1, max_size=3))
    return {feed: draw(fuzz_file(feed)) for feed in sorted(feeds)}


def ingest_without_ge(inbox: Path, warehouse: Path) -> Run:
    """The ingest assets with their reconciliation and erasure checks (GE left out for speed)."""
    return ingest(inbox, warehouse, raise_on_error=False, great_expectations=False)


REASON_PREFIXES = {c for cols in FEED_COLUMNS.values() for c in cols} | {"row"}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(files=fuzz_inbox())
def test_random_rows_and_damage_never_crash_and_every_row_is_accounted_for(
    prior, files: dict[str, dict]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case = Case(Path(tmp), prior)
        for spec in files.values():
            case.put(spec["name"], spec["data"])
            note(f"{spec['name']}: {spec['data'][:3000]!r}")
        run = ingest_without_ge(case.inbox, case.warehouse)
        if not run.result.success:
            step, cls, message = user_error(run)
            culprit = next((s for s in files.values() if message.startswith(s["name"] + ":")), None)
            assert (step, cls) == ("raw_inbox", "UnreadableFileError"), (step, cls, message)
            assert culprit is not None, message
            # Only a quote that breaks RFC 4180 may make a well-formed fuzz file unreadable.
            assert culprit["quote_damage"], message
            assert snapshot(case.warehouse) == case.before
            return
        assert all(run.checks().values()), run.checks()
        counts = {
            feed: (read, quarantined, core, superseded)
            for feed, read, quarantined, core, superseded in run.sql(
                "SELECT feed, rows_read, rows_quarantined, rows_core, rows_superseded "
                "FROM meta.feed_counts"
            )
        }
        assert set(counts) == set(FEED_COLUMNS)
        for feed, (read, quarantined, core, superseded) in counts.items():
            assert read == quarantined + core + superseded, feed
            if feed == "erasures":
                # Every row naming an erased person goes, the requests themselves included
                # (counted before the purge), so raw and quarantine may only hold fewer.
                assert run.count("raw.erasures") <= read - core
                assert run.count("quarantine.erasures") <= quarantined
            else:
                assert run.count(f"raw.{feed}") == read, feed
                assert run.count(f"quarantine.{feed}") == quarantined, feed
            if CORE_TABLE[feed]:
                assert run.count(f"core.{CORE_TABLE[feed]}") == core, feed
            spec = files.get(feed)
            if spec and not spec["quote_damage"]:
                assert read == IN_BASE_INBOX[feed] + spec["records"], feed
            for (reason,) in run.sql(f"SELECT reason FROM quarantine.{feed}"):
                for part in reason.split("; "):
                    head, sep, rule = part.partition(": ")
                    assert sep and rule and head in REASON_PREFIXES, reason
