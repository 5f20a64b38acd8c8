"""Big files read in parallel keep each row's own source row number; files scanned ahead
read as files scanned one by one; the UTF-8 scan and the file hash work across blocks."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import FEEDBACK

from pipelines.contract import FEEDS_BY_NAME
from pipelines.defs.ingest.read import (
    SCAN_BLOCK_BYTES,
    UnreadableFileError,
    _check_utf8,
    create_raw_table,
    discover,
    read_file,
    text_scans,
)

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


def _write_csv(path: Path, ids: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FEEDBACK))
        writer.writeheader()
        writer.writerows({**FEEDBACK, "feedback_id": fid} for fid in ids)


def _read_all(inbox: Path, db: Path, ahead: bool) -> list[tuple]:
    """Read every file of ``inbox`` into raw.feedback, scanned ahead or one by one."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        create_raw_table(con, FEEDS_BY_NAME["feedback"], "raw.feedback")
        files = discover(inbox)
        if ahead:
            with text_scans(files) as scans:
                assert set(scans) == {f.name for f in files if f.fmt in ("csv", "jsonl")}
                for f in files:
                    read_file(con, f, "raw.feedback", scans.get(f.name))
        else:
            for f in files:
                read_file(con, f, "raw.feedback")
        return con.execute(
            "SELECT * EXCLUDE (_ingested_at) FROM raw.feedback ORDER BY _source_file, _source_row"
        ).fetchall()


def test_files_scanned_ahead_read_like_files_scanned_one_by_one(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write_csv(inbox / "feedback_1.csv", [f"fb-a{i}" for i in range(500)])
    _write_csv(inbox / "feedback_2.csv", [f"fb-b{i}" for i in range(700)])
    (inbox / "feedback_3.jsonl").write_text(
        "".join(json.dumps({**FEEDBACK, "feedback_id": f"fb-c{i}"}) + "\n" for i in range(300)),
        encoding="utf-8",
    )
    parquet = {k: [v, v] for k, v in FEEDBACK.items()} | {"feedback_id": ["fb-d1", "fb-d2"]}
    pq.write_table(pa.table(parquet), inbox / "feedback_4.parquet")
    ahead = _read_all(inbox, tmp_path / "a.duckdb", ahead=True)
    assert ahead == _read_all(inbox, tmp_path / "b.duckdb", ahead=False)
    assert len(ahead) == 500 + 700 + 300 + 2


def test_bad_utf8_found_ahead_fails_when_its_file_is_read(tmp_path: Path) -> None:
    """The scan of a later file fails first, but the error comes with that file's read."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write_csv(inbox / "feedback_1.csv", [f"fb-a{i}" for i in range(500)])
    _write_csv(inbox / "feedback_2.csv", [f"fb-b{i}" for i in range(500)])
    with (inbox / "feedback_2.csv").open("ab") as fh:
        fh.write(b"fb-x,p-1,group_event,,ev-1,2026-01-01,true,5,,0,caf\xe9,2026-01-01T10:00:00\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        create_raw_table(con, FEEDS_BY_NAME["feedback"], "raw.feedback")
        first, second = discover(inbox)
        with text_scans([first, second]) as scans:
            # Its scan has failed already, before its file is read.
            assert isinstance(scans[second.name].exception(timeout=60), UnreadableFileError)
            assert read_file(con, first, "raw.feedback", scans[first.name]) == 500
            with pytest.raises(UnreadableFileError, match=r"feedback_2\.csv: not valid UTF-8"):
                read_file(con, second, "raw.feedback", scans[second.name])


def test_a_file_scanned_ahead_reports_a_bad_header_as_one_read_alone_does(tmp_path: Path) -> None:
    """Header checks come before the scan's verdict, so the message names the header row."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "feedback.csv").write_bytes(b"feedback_id,caf\xe9\nfb-1,x\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        create_raw_table(con, FEEDS_BY_NAME["feedback"], "raw.feedback")
        (source,) = discover(inbox)
        for ahead in (True, False):
            header = pytest.raises(UnreadableFileError, match=r"not valid UTF-8 \(header row\)")
            with text_scans([source] if ahead else []) as scans, header:
                read_file(con, source, "raw.feedback", scans.get(source.name))


def _longest_line(data: bytes) -> int:
    return max(len(line) for line in data.split(b"\n"))


def _has_empty_line(data: bytes) -> bool:
    return any(line in (b"", b"\r") for line in data.split(b"\n")[:-1])


def _mixed_newlines(data: bytes) -> bool:
    ends = [line.endswith(b"\r") for line in data.split(b"\n")[:-1]]
    return any(ends) and not all(ends)


B = SCAN_BLOCK_BYTES


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no newline at all",
        b"a\n" * 5 + b"\n",
        # Lines longer than a scan block, and one ending exactly at a block's end.
        b"x" * (3 * SCAN_BLOCK_BYTES + 5) + b"\nshort\n" + b"y" * (SCAN_BLOCK_BYTES - 1) + b"\n",
        # Multi-byte characters (2, 3 and 4 bytes long) straddling block boundaries.
        ("ä€😀\n" * (SCAN_BLOCK_BYTES // 3)).encode(),
        b"a" * (SCAN_BLOCK_BYTES - 1) + "€".encode() + b"\nend",
        # Empty lines (LF LF, LF CR LF) inside a block and across block boundaries.
        b"h\n" + b"a\r\n" * B,
        b"h\n" + b"a\r\n" * 1000 + b"\r\nb\n",
        b"x" * (B - 1) + b"\n\ny\n",
        b"x" * (B - 1) + b"\n\r\ny\n",
        b"x" * (B - 2) + b"\n\r\ny\n",
        b"x" * (B - 3) + b"\n\r\ny\n",
        b"x" * (B - 2) + b"\r\r\ny\n" + b"z" * B + b"\n",
        b"x" * (2 * B - 1) + b"\n\n",
        # Line ends of both kinds; a CR ending one block before the next block's LF.
        b"h\r\n" + b"a\r\n" * B + b"b\n",
        b"h\n" + b"x" * (B - 3) + b"\r" + b"\ny\r\n",
        b"x" * (B - 1) + b"\r" + b"\ny\r\n" + b"z\r\n",
        b"\n" + b"x\r\n",
    ],
    ids=[
        "empty",
        "one-line",
        "short-lines",
        "long-lines",
        "multibyte",
        "split-char",
        "crlf",
        "crlf-empty",
        "lf-lf-at-boundary",
        "lf-crlf-at-boundary",
        "lf-cr-lf-split-after-cr",
        "lf-cr-lf-split-before-lf",
        "cr-cr-lf-not-empty",
        "empty-last-line",
        "crlf-then-lf",
        "lf-then-cr-lf-split",
        "crlf-split-only",
        "empty-first-line-then-crlf",
    ],
)
def test_utf8_scan_and_hash_across_blocks(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "feedback.csv"
    path.write_bytes(data)
    (source,) = discover(tmp_path)
    assert _check_utf8(source) == (
        _longest_line(data),
        _has_empty_line(data),
        _mixed_newlines(data),
    )
    assert source.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "at", [0, SCAN_BLOCK_BYTES - 1, SCAN_BLOCK_BYTES, 2 * SCAN_BLOCK_BYTES + 7]
)
def test_utf8_scan_finds_an_invalid_byte_anywhere(tmp_path: Path, at: int) -> None:
    data = bytearray(("ä" * (2 * SCAN_BLOCK_BYTES)).encode())[: 3 * SCAN_BLOCK_BYTES]
    data[at] = 0xFF
    (tmp_path / "feedback.csv").write_bytes(bytes(data))
    (source,) = discover(tmp_path)
    with pytest.raises(UnreadableFileError, match=r"feedback\.csv: not valid UTF-8"):
        _check_utf8(source)
    # A truncated multi-byte character at the very end is invalid too.
    (tmp_path / "feedback.csv").write_bytes("ok\n€".encode()[:-1])
    (source,) = discover(tmp_path)
    with pytest.raises(UnreadableFileError):
        _check_utf8(source)
