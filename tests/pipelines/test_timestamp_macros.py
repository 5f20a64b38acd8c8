"""The parsing macros of validation: each fast path equals the general rule it skips."""

import sys

import duckdb
import pytest

from pipelines.contract import EVENT_KINDS, WHITESPACE, trim_sql
from pipelines.defs.ingest.validate import TS_CANONICAL, _enum, install_macros

FULL_RULE = """
    CASE WHEN timezone('Europe/Berlin', timezone('Europe/Berlin', ts) - INTERVAL 1 HOUR) = ts
         THEN timezone('Europe/Berlin', ts) - INTERVAL 1 HOUR
         ELSE timezone('Europe/Berlin', ts) END"""


def test_berlin_wall_time_fast_path_equals_the_full_rule_1900_to_2100() -> None:
    """Every quarter hour of two centuries (DST rules of 1916-1949, 1980-1995 and today)."""
    con = duckdb.connect()
    install_macros(con)
    differ, rows = con.execute(
        f"""WITH t AS (
            SELECT unnest(generate_series(TIMESTAMP '1900-01-01', TIMESTAMP '2100-12-31',
                                          INTERVAL 15 MINUTE)) AS ts)
        SELECT count(*) FILTER (WHERE bt_berlin(ts) IS DISTINCT FROM ({FULL_RULE})), count(*)
        FROM t"""
    ).fetchone()
    assert rows > 7_000_000
    assert differ == 0


def test_bt_ts_reads_offsets_naive_times_and_rejects_other_text() -> None:
    con = duckdb.connect()
    install_macros(con)
    con.execute("SET TimeZone = 'UTC'")
    got = dict(
        con.execute(
            """SELECT s, CAST(bt_ts(s) AS VARCHAR) FROM (VALUES
                (' 2025-10-26t02:30:00z '), ('2025-10-26T02:30:00'), ('2026-03-29 02:30'),
                ('2026-01-05T10:00:00+0100'), ('2026-01-05T10:00:00-23:59'),
                ('2026-01-05T10:00:00+24:00'), ('2026-01-05T10:00:00+25:00'),
                ('2026-01-05T10:00:00+01:60'), ('2026-01-05T10:00:00-99:99'),
                ('2026-01-05T10:00:00+99'), ('2026-01-05T10:00:00,5+01:00'),
                ('2026-01-05T10:00:00,25'), ('2026-01-05T10:00:00,'), ('2026-01-05T10:00,5'),
                ('20260105'), ('  '), (NULL)) v(s)"""
        ).fetchall()
    )
    assert got == {
        " 2025-10-26t02:30:00z ": "2025-10-26 02:30:00+00",
        "2025-10-26T02:30:00": "2025-10-26 00:30:00+00",
        "2026-03-29 02:30": "2026-03-29 01:30:00+00",
        "2026-01-05T10:00:00+0100": "2026-01-05 09:00:00+00",
        "2026-01-05T10:00:00-23:59": "2026-01-06 09:59:00+00",
        # ISO 8601 offsets have hours 00-23 and minutes 00-59: these are no timestamps
        "2026-01-05T10:00:00+24:00": None,
        "2026-01-05T10:00:00+25:00": None,
        "2026-01-05T10:00:00+01:60": None,
        "2026-01-05T10:00:00-99:99": None,
        "2026-01-05T10:00:00+99": None,
        # ISO 8601 allows a comma before the fraction of a second (and prefers it)
        "2026-01-05T10:00:00,5+01:00": "2026-01-05 09:00:00.5+00",
        "2026-01-05T10:00:00,25": "2026-01-05 09:00:00.25+00",
        "2026-01-05T10:00:00,": None,
        "2026-01-05T10:00,5": None,
        "20260105": None,
        "  ": None,
        None: None,
    }


def test_bt_ts_fast_path_equals_the_general_path_on_every_shape() -> None:
    """Canonical text skips trimming, upper-casing and the second shape test: same values."""
    con = duckdb.connect()
    install_macros(con)
    differ, canonical, with_offset, rows = con.execute(
        r"""WITH parts AS (
            SELECT pad || d || t || z || pad AS s
            FROM unnest(['', ' ', chr(9)]) a(pad),
                 unnest(['2026-07-01', '1999-12-31', '2026-13-01', '2026-02-30', '2025-10-26',
                         '2026-03-29', '1944-04-03', '20260701']) b(d),
                 unnest(['', 'T18:23:10', 't18:23:10', ' 18:23:10', 'T18:23', 'T18:23:10.5',
                         'T18:23:10.123456', 'T02:30:00', 'T02:30:00.000001', 'T25:00:00',
                         'T18:23:1x', 'T18:23:10.', 'T18:23:10,5', 'T18:23:10,']) c(t),
                 unnest(['', 'Z', 'z', '+01:00', '-03:00', '+00:00', '-0300', '+02', ' Z', 'ZZ',
                         '+1', '+01:0', '+01:00Z', '+23:59', '+24:00', '-25:00', '+01:60']) e(z)
        )
        SELECT count(*) FILTER (WHERE bt_ts(s)
                                IS DISTINCT FROM bt_ts_text(NULLIF(upper(bt_trim(s)), ''))),
               count(*) FILTER (WHERE regexp_full_match(s, ?)),
               count(*) FILTER (WHERE regexp_full_match(s, ?) AND NOT ends_with(s, 'Z')
                                AND bt_ts(s) IS NOT NULL AND substr(s, -6, 1) IN ('+', '-')),
               count(*)
        FROM (SELECT s FROM parts UNION ALL SELECT NULL)""",
        [TS_CANONICAL, TS_CANONICAL],
    ).fetchone()
    assert rows > 2500
    assert canonical > 50  # the fast path is taken for a good share of the shapes
    assert with_offset > 10  # ... including +hh:mm offsets (Parquet TIMESTAMPTZ in raw)
    assert differ == 0


#: The general rules the fast paths of bt_date, bt_int and bt_bool must agree with.
GENERAL = {
    "bt_date": r"""CASE WHEN regexp_full_match(bt_trim(s), '\d{4}-\d{2}-\d{2}')
                        THEN TRY_CAST(bt_trim(s) AS DATE) END""",
    "bt_int": r"""CASE WHEN regexp_full_match(bt_trim(s), '[+-]?[0-9]+')
                       THEN TRY_CAST(bt_trim(s) AS INTEGER) END""",
    "bt_bool": """CASE lower(bt_trim(s)) WHEN 'true' THEN true WHEN '1' THEN true
                       WHEN 'yes' THEN true WHEN 'false' THEN false WHEN '0' THEN false
                       WHEN 'no' THEN false END""",
}

TEXTS = [
    "2026-07-01",
    " 2026-07-01",
    "2026-07-01 ",
    "2026-02-30",
    "2026-7-1",
    "2026/07/01",
    "20260701",
    "0",
    "5",
    "9",
    " 5",
    "5 ",
    "+5",
    "-5",
    "05",
    "50",
    "5.0",
    "x",
    "٣",
    "1234567890",
    "2147483647",
    "-2147483648",
    "2147483648",
    "00000000000000000004",
    "true",
    "false",
    "TRUE",
    " true",
    "False ",
    "yes",
    "no",
    "1",
    "t",
    "",
    " ",
    "\t",
]


@pytest.mark.parametrize("macro", sorted(GENERAL))
def test_fast_paths_of_date_int_and_bool_equal_the_general_rule(macro: str) -> None:
    con = duckdb.connect()
    install_macros(con)
    rows = con.execute(
        f"""SELECT s, {macro}(s) AS fast, {GENERAL[macro]} AS general
        FROM (SELECT unnest(?) AS s UNION ALL SELECT NULL)""",
        [TEXTS],
    ).fetchall()
    assert [r for r in rows if r[1] != r[2] and not (r[1] is None and r[2] is None)] == []
    assert sum(r[1] is not None for r in rows) >= 3  # some text does parse


def test_integers_are_read_whole_within_the_integer_type() -> None:
    # Any number of digits (leading zeros too); beyond a 32-bit integer it is no integer.
    con = duckdb.connect()
    install_macros(con)
    texts = ["2147483647", " -2147483648", "1234567890", "00004", "2147483648", "4.0", "1e1"]
    got = con.execute("SELECT bt_int(s) FROM (SELECT unnest(?) AS s)", [texts]).fetchall()
    assert [v for (v,) in got] == [2147483647, -2147483648, 1234567890, 4, None, None, None]


def test_trimming_removes_what_str_strip_removes() -> None:
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert every == WHITESPACE
    texts = [f"{w}a{w}b{w}" for w in WHITESPACE] + ["\u200bx\u200b", " \t\r\n ", "x"]
    con = duckdb.connect()
    got = con.execute(f"SELECT {trim_sql('s')} FROM (SELECT unnest(?) AS s)", [texts]).fetchall()
    assert [g for (g,) in got] == [t.strip() for t in texts]


def test_enum_fast_path_equals_trimmed_lower_case() -> None:
    con = duckdb.connect()
    install_macros(con)
    texts = ["tandem_meeting", " group_event", "Tandem_Meeting", "GROUP_EVENT ", "other", "", None]
    rows = con.execute(
        f"SELECT {_enum('s', EVENT_KINDS)}, lower(bt_trim(s)) FROM (SELECT unnest(?) AS s)",
        [texts],
    ).fetchall()
    assert [a for a, b in rows] == [b for a, b in rows]
    assert rows[2][0] == "tandem_meeting"
