"""Read the inbox's export files into ``raw.<feed>`` tables, every value as text.

Each file is read by DuckDB's own reader (CSV, Parquet, JSON), never row by row in Python.
A file that cannot be read as a whole (bad encoding, not a table, a missing required column,
duplicate column names, zero bytes) raises :class:`UnreadableFileError` naming the file; the
caller runs everything in one transaction so the warehouse is then left unchanged. A CSV row
with too few or too many fields, or a badly quoted field, is kept as a raw row with
``_parse_error`` set, so that validation quarantines it with a reason instead of losing it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow.parquet as pq

from pipelines.contract import ERASURES, FEEDS, Feed, feed_of, trim_sql

#: Columns a raw table has besides the contract's columns.
RAW_EXTRA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_ingested_at", "TIMESTAMP WITH TIME ZONE"),
    ("_parse_error", "VARCHAR"),
    ("_raw_line", "VARCHAR"),
)

# A CSV line may legitimately hold a very long (to-be-quarantined) field: DuckDB's default
# 2 MB line limit would turn a 10 MB comment into a file error instead of a quarantine row.
MAX_LINE_BYTES = 512 * 1024 * 1024
MIN_LINE_BYTES = 2 * 1024 * 1024
#: DuckDB's CSV errors that concern one row, which is then quarantined (an unterminated
#: quote makes the rest of the file one bad row, kept whole in ``_raw_line``); any other
#: error fails the file.
ROW_ERRORS = ("TOO MANY COLUMNS", "MISSING COLUMNS", "UNQUOTED VALUE")
#: Block size of the UTF-8 scan of text files (:func:`_check_utf8`).
SCAN_BLOCK_BYTES = 128 * 1024


#: Column clause for the text columns a feed stores uncompressed (``Feed.uncompressed``).
UNCOMPRESSED = " USING COMPRESSION uncompressed"

#: File formats read as text, whose UTF-8 is checked before DuckDB reads them.
TEXT_FORMATS = ("csv", "jsonl")


class UnreadableFileError(RuntimeError):
    """A whole inbox file cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class SourceFile:
    """One inbox file: its feed, name, size, modification time (ns) and content hash."""

    feed: str
    path: Path
    size: int
    mtime_ns: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fmt(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def _sha256(path: Path) -> str:
    # file_digest reads into one reused buffer (0.93 s for 1.6 GB against 1.11 s with a
    # new 1 MB block per read).
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def discover(inbox: Path, known: dict[str, tuple[int, int, str]] | None = None) -> list[SourceFile]:
    """Every file of the inbox that belongs to a feed, in the order later rows win.

    Order per feed: modification time, then file name (CONTRACT.md: the later name wins on
    equal times). Files of no feed are ignored. ``known`` maps a file name to the size,
    modification time and SHA-256 recorded at its last ingest: a file whose size and time
    are unchanged is not read again to hash it.
    """
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    known = known or {}
    listed: list[tuple[str, Path, os.stat_result, str | None]] = []
    for path in sorted(inbox.iterdir()):
        feed = feed_of(path.name)
        if feed is None or not path.is_file():
            continue
        stat = path.stat()
        size, mtime, digest = known.get(path.name, (-1, -1, ""))
        unchanged = (size, mtime) == (stat.st_size, stat.st_mtime_ns)
        listed.append((feed.name, path, stat, digest if unchanged else None))
    # hashlib releases the GIL while hashing, so files are hashed on every core at once.
    to_hash = [path for _, path, _, digest in listed if digest is None]
    with ThreadPoolExecutor(max(1, min(len(to_hash), os.cpu_count() or 1))) as pool:
        hashed = dict(zip(to_hash, pool.map(_sha256, to_hash), strict=True))
    found = [
        SourceFile(feed, path, stat.st_size, stat.st_mtime_ns, digest or hashed[path])
        for feed, path, stat, digest in listed
    ]
    found.sort(key=lambda f: (f.feed, f.mtime_ns, f.name))
    return found


@dataclass(frozen=True)
class IngestPlan:
    """What an incremental ingest does: files to (re)read, files whose rows go."""

    read: list[SourceFile]
    keep: list[SourceFile]
    drop: list[tuple[str, str]]  # (feed, file name) whose raw rows are deleted


def plan_ingest(files: list[SourceFile], ingested: dict[str, tuple[str, str]]) -> IngestPlan:
    """Compare the inbox with what was ingested (file name -> (feed, SHA-256)).

    A file with the same name and content is kept as it is (only its modification time is
    updated, since it orders later exports); a changed file replaces its rows; a file that
    left the inbox takes its rows with it. Erasure files are always read again: every run
    purges the erased people's rows, the requests' own rows included, so their rows are not
    in ``raw.erasures`` any more, and the feed's counts must equal a full run's (they are
    small: one row per request).
    """
    current = {f.name for f in files}

    def unchanged(f: SourceFile) -> bool:
        return f.feed != ERASURES.name and ingested.get(f.name) == (f.feed, f.sha256)

    keep = [f for f in files if unchanged(f)]
    read = [f for f in files if not unchanged(f)]
    drop = [(feed, name) for name, (feed, _) in ingested.items() if name not in current]
    drop += [(ingested[f.name][0], f.name) for f in read if f.name in ingested]
    return IngestPlan(read=read, keep=keep, drop=sorted(set(drop)))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_columns(source: SourceFile, feed: Feed, header: list[str]) -> list[str]:
    """Normalise header names and fail on duplicates or a missing required column."""
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UnreadableFileError(f"{source.name}: duplicate column name {name!r}")
        seen.add(name)
    missing = sorted(feed.required - seen)
    if missing:
        raise UnreadableFileError(f"{source.name}: missing required column(s) {', '.join(missing)}")
    return names


def _csv_header(source: SourceFile) -> list[str]:
    with source.path.open("rb") as fh:
        head = fh.read(1 << 16)
    line = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0]
    try:
        text = line.decode("utf-8-sig")
        first = next(csv.reader(io.StringIO(text)), None)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{source.name}: not valid UTF-8 (header row)") from exc
    except csv.Error as exc:
        raise UnreadableFileError(f"{source.name}: unreadable CSV header ({exc})") from exc
    if not first:
        raise UnreadableFileError(f"{source.name}: no header row")
    # An unnamed column (a trailing comma in a spreadsheet export) is kept under a
    # placeholder name, which matches no contract column and is therefore ignored.
    return [name if name.strip() else f"_unnamed_{i + 1}" for i, name in enumerate(first)]


class TextScan(NamedTuple):
    """What the scan of a text file found besides its being valid UTF-8."""

    longest_line: int
    """The longest physical line in bytes."""
    empty_line: bool
    """Whether some physical line is empty (``\\n\\n`` or ``\\n\\r\\n``), quoted or not."""
    mixed_newlines: bool
    """Whether some line ends in CRLF and another in a bare LF, quoted or not."""


def _check_utf8(source: SourceFile) -> TextScan:
    """Fail on any invalid UTF-8, streaming so a huge file costs no memory.

    Also measures the longest physical line, which sizes the CSV reader's line limit
    (DuckDB's read buffer grows with that limit, so it must not be set far above need),
    and notes an empty line, which shifts DuckDB's numbers of ragged CSV rows.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    longest, carry, empty, last = 0, 0, False, 0
    crlf = bare_lf = False
    # One small buffer, reused: fresh multi-megabyte blocks are each a new mapping that
    # the kernel zero-fills page by page (1.85 s for 1.4 GB, 70% of it system time, against
    # 0.7 s with 128 KB blocks read into one buffer).
    buffer = bytearray(SCAN_BLOCK_BYTES)
    view = memoryview(buffer)
    codes = np.frombuffer(buffer, dtype=np.uint8)
    newline = np.empty(SCAN_BLOCK_BYTES, dtype=bool)
    with source.path.open("rb", buffering=0) as fh:
        try:
            while n := fh.readinto(buffer):
                decoder.decode(view[:n])
                breaks = np.flatnonzero(np.equal(codes[:n], 0x0A, out=newline[:n]))
                if breaks.size == 0:
                    carry += n
                    last = int(codes[n - 1])
                    continue
                gaps = np.diff(breaks)
                inner = int(gaps.max()) - 1 if breaks.size > 1 else 0
                if not empty:
                    # The block's first line continues the carried one (its one byte, if
                    # it has one, may be the previous block's last); lines within the
                    # block are empty when two breaks are one or two bytes apart.
                    first = carry + int(breaks[0])
                    lone = int(codes[0]) if breaks[0] == 1 else last
                    empty = first == 0 or (first == 1 and lone == 0x0D)
                    if not empty and breaks.size > 1 and gaps.min() <= 2:
                        ends = breaks[1:][gaps == 2]
                        empty = bool((gaps == 1).any() or (codes[ends - 1] == 0x0D).any())
                if not (crlf and bare_lf):
                    # The byte before each break; the block's first byte's is the last one.
                    before = codes[np.maximum(breaks - 1, 0)] == 0x0D
                    if breaks[0] == 0:
                        before[0] = last == 0x0D
                    crlf = crlf or bool(before.any())
                    bare_lf = bare_lf or not bool(before.all())
                longest = max(longest, carry + int(breaks[0]), inner)
                carry = n - int(breaks[-1]) - 1
                last = int(codes[n - 1])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(f"{source.name}: not valid UTF-8") from exc
    return TextScan(max(longest, carry), empty, crlf and bare_lf)


@contextmanager
def text_scans(sources: list[SourceFile]) -> Iterator[dict[str, Future[TextScan]]]:
    """Scan the text files (CSV, JSON Lines) of ``sources`` ahead, in a background thread.

    The UTF-8 check and line measure of :func:`_check_utf8` is Python on one core, while
    DuckDB's readers release the GIL and leave some of the other core idle: scanning the
    next files while DuckDB reads the current one hides it (0.7 s for the 1.4 GB of text
    files at 1M participants; 2.3 s before the scan reused its buffer). Hand each file's
    future to :func:`read_file`; a scan that fails raises its error there, at the point of
    that file's read where an unscanned read would (after a CSV's header checks).
    """
    pool = ThreadPoolExecutor(1, thread_name_prefix="bt-text-scan")
    try:
        yield {s.name: pool.submit(_check_utf8, s) for s in sources if s.fmt in TEXT_FORMATS}
    except BaseException:
        # Do not hold the error up until a scan of a big file ends: the scan only reads.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB append rows in any order (each row carries its own ``_source_row``).

    An order-preserving parallel insert from Parquet leaves row groups that the next
    checkpoint has to rewrite (5 s of raw_inbox's 35 at 1M participants); rows whose number
    is already fixed need no order. (CSV rows are
    numbered by a window over the reader's order, which needs the order kept.)
    """
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("RESET preserve_insertion_order")


def _drop_quietly(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Drop scratch tables; after a failed statement the transaction is aborted and the
    rollback discards them anyway, so that error must not hide the original one."""
    try:
        for table in tables:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    except duckdb.TransactionException:
        pass


def _select_list(feed: Feed, present: list[str], value_sql: dict[str, str]) -> str:
    """Contract columns in contract order; absent optional columns read as NULL."""
    parts = []
    for col in feed.columns:
        expr = value_sql[col] if col in present else "NULL::VARCHAR"
        parts.append(f"{expr} AS {_quote_ident(col)}")
    return ", ".join(parts)


def _scanned(source: SourceFile, ahead: Future[TextScan] | None) -> TextScan:
    """The file's scan (UTF-8 check, longest line, empty lines): done ahead, or now."""
    return ahead.result() if ahead is not None else _check_utf8(source)


def _csv_records(source: SourceFile, *, strict: bool = False) -> Iterator[list[str]]:
    """The records of a CSV file (header first) by Python's reader, which splits them as
    DuckDB's does (quotes may hold line breaks) and yields an empty list for an empty line.
    """
    csv.field_size_limit(MAX_LINE_BYTES)  # a 10 MB comment is a value, not an error
    with source.path.open(newline="", encoding="utf-8-sig") as fh:
        yield from csv.reader(fh, strict=strict)


def _empty_records(source: SourceFile) -> list[int]:
    """The numbers (header = 1) of the empty records of a CSV file, as DuckDB counts lines.

    Only run for a file with ragged rows and an empty physical line, so its cost (under a
    second per million rows) is rare.
    """
    return [k for k, record in enumerate(_csv_records(source), start=1) if not record]


def _renumber_after_empty_lines(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    """Number the ragged rows of ``_bt_ragged`` by records, not counting empty lines.

    Accepted rows are numbered by records (DuckDB skips empty lines), ragged rows by
    DuckDB's line count, which counts them: without this, a ragged row after an empty line
    would take the number of the row after it.
    """
    empty = _empty_records(source)
    if empty:
        con.execute(
            """UPDATE _bt_ragged SET rec = rec - (
                SELECT count(*) FROM (SELECT unnest(?::BIGINT[]) AS k) WHERE k <= rec)""",
            [empty],
        )


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    feed: Feed,
    target: str,
    ahead: Future[TextScan] | None,
) -> int:
    names = _check_columns(source, feed, _csv_header(source))
    scanned = _scanned(source, ahead)
    if not scanned.mixed_newlines:
        return _load_csv(con, source, feed, target, scanned, names, source.path)
    # DuckDB's strict reader fails a file whose records end in both CRLF and LF (which the
    # contract reads transparently): read such a file from a copy whose records all end in LF.
    with tempfile.TemporaryDirectory(prefix="bt-csv-") as scratch:
        copy = _uniform_newlines(source, Path(scratch))
        return _load_csv(con, source, feed, target, scanned, names, copy)


def _uniform_newlines(source: SourceFile, folder: Path) -> Path:
    """A copy of a CSV file in ``folder`` whose records all end in LF, every field as it was.

    Python's reader splits records as RFC 4180 does (a quoted line break stays in its
    field) whatever line ends they have. Records keep their number of fields and empty
    lines stay empty lines, so ragged rows and row numbers come out as from the original.
    Bad quoting, which it could only guess at (``strict``), fails such a file naming it.
    """
    copy = folder / "uniform_newlines.csv"
    with copy.open("w", newline="", encoding="utf-8") as out:
        try:
            out.writelines(
                f"{_csv_record(fields)}\n" for fields in _csv_records(source, strict=True)
            )
        except csv.Error as exc:
            raise UnreadableFileError(f"{source.name}: unreadable CSV (bad quoting)") from exc
    return copy


_MUST_QUOTE = re.compile(r'[,"\r\n]')


def _csv_record(fields: list[str]) -> str:
    """One CSV record: a field with a comma, quote, CR or LF quoted (``csv.writer`` leaves a
    lone CR bare, which a reader takes for a line end); one empty field stays ``""``, not
    an empty line."""
    if fields == [""]:
        return '""'
    return ",".join(
        '"' + field.replace('"', '""') + '"' if _MUST_QUOTE.search(field) else field
        for field in fields
    )


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    feed: Feed,
    target: str,
    scanned: TextScan,
    names: list[str],
    path: Path,
) -> int:
    """Read the CSV file at ``path`` (``source`` or a copy of it) into ``target``."""
    columns = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    rejects, scan = "_bt_rejects", "_bt_reject_scans"
    # A quoted field may span lines: allow well above the longest physical line, and more
    # (8x at a time, up to MAX_LINE_BYTES) if a record of short lines is longer still.
    max_line = min(MAX_LINE_BYTES, max(MIN_LINE_BYTES, 4 * scanned.longest_line))
    while True:
        con.execute(
            f"DROP TABLE IF EXISTS _bt_csv; DROP TABLE IF EXISTS {rejects}; "
            f"DROP TABLE IF EXISTS {scan}"
        )
        con.execute(
            f"""CREATE TEMP TABLE _bt_csv AS
            SELECT * FROM read_csv({_sql_str(str(path))}, header = true, auto_detect = false,
                delim = ',', quote = '"', escape = '"', columns = {columns},
                all_varchar = true, strict_mode = true, store_rejects = true,
                rejects_table = '{rejects}', rejects_scan = '{scan}',
                max_line_size = {max_line}, encoding = 'utf-8', parallel = true)"""
        )
        too_long = con.execute(
            f"SELECT count(*) FROM {rejects} WHERE error_type = 'LINE SIZE OVER MAXIMUM'"
        ).fetchone()[0]
        if not too_long or max_line >= MAX_LINE_BYTES:
            break
        max_line = min(MAX_LINE_BYTES, 8 * max_line)
    try:
        bad_encoding = con.execute(
            f"SELECT min(line) FROM {rejects} WHERE error_type = 'INVALID ENCODING'"
        ).fetchone()[0]
        if bad_encoding is not None:
            raise UnreadableFileError(
                f"{source.name}: not valid UTF-8 (first at data row {bad_encoding - 1})"
            )
        other = con.execute(
            f"""SELECT error_type FROM {rejects}
            WHERE error_type NOT IN {ROW_ERRORS} LIMIT 1"""
        ).fetchone()
        if other is not None:
            raise UnreadableFileError(f"{source.name}: unreadable CSV ({other[0].lower()})")
        # One reject row per bad field: keep one per line, a quoting error before a field
        # count (it causes it). `line` counts the header as 1, and empty lines too (which
        # start the reject's `csv_line`); quoted line breaks not.
        con.execute(
            f"""CREATE TEMP TABLE _bt_ragged AS
            SELECT line - 1 AS rec,
                   arg_min(error_type, error_type <> 'UNQUOTED VALUE') AS error_type,
                   ltrim(any_value(csv_line), chr(13) || chr(10)) AS csv_line
            FROM {rejects} GROUP BY line"""
        )
        if scanned.empty_line and con.execute("SELECT count(*) FROM _bt_ragged").fetchone()[0]:
            _renumber_after_empty_lines(con, source)
        # Accepted rows keep file order; recover each one's record number by counting the
        # rejected records before it (rejects are few, accepted rows many).
        con.execute(
            """CREATE TEMP TABLE _bt_ragged_adj AS
            SELECT rec - row_number() OVER (ORDER BY rec) AS adj FROM _bt_ragged"""
        )
        value_sql = {c: _quote_ident(c) for c in names}
        select = _select_list(feed, names, value_sql)
        con.execute(
            f"""INSERT INTO {target}
            WITH ok AS (SELECT *, row_number() OVER () AS k FROM _bt_csv)
            SELECT {select}, {_sql_str(source.name)}, k + (SELECT count(*) FROM _bt_ragged_adj
                   WHERE adj < k), now(), NULL, NULL
            FROM ok"""
        )
        null_cols = ", ".join("NULL" for _ in feed.columns)
        con.execute(
            f"""INSERT INTO {target}
            SELECT {null_cols}, {_sql_str(source.name)}, rec, now(),
                   CASE error_type WHEN 'TOO MANY COLUMNS' THEN 'row: too many fields'
                        WHEN 'MISSING COLUMNS' THEN 'row: too few fields'
                        ELSE 'row: badly quoted field' END,
                   csv_line
            FROM _bt_ragged"""
        )
        return (
            con.execute("SELECT count(*) FROM _bt_csv").fetchone()[0]
            + con.execute("SELECT count(*) FROM _bt_ragged").fetchone()[0]
        )
    finally:
        _drop_quietly(con, "_bt_csv", "_bt_ragged", "_bt_ragged_adj", rejects, scan)


def _as_text_parquet(col: str, dtype: str) -> str:
    ident = _quote_ident(col)
    upper = dtype.upper()
    if upper.endswith("[]"):
        return _list_text(f"CAST({ident} AS VARCHAR[])", f"CAST({ident} AS VARCHAR)")
    if upper.startswith(("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")):
        # An instant in any unit (pandas writes nanoseconds: TIMESTAMPTZ_NS), as UTC text.
        return f"strftime({ident}::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S.%f+00:00')"
    if upper.startswith("TIMESTAMP"):
        # A naive Parquet timestamp is Berlin wall time (CONTRACT.md): keep it naive.
        return f"strftime({ident}, '%Y-%m-%dT%H:%M:%S.%f')"
    if upper == "DATE":
        return f"strftime({ident}, '%Y-%m-%d')"
    return f"CAST({ident} AS VARCHAR)"


def _read_parquet(
    con: duckdb.DuckDBPyConnection, source: SourceFile, feed: Feed, target: str
) -> int:
    path = _sql_str(str(source.path))
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        raise UnreadableFileError(f"{source.name}: not a readable Parquet file") from exc
    raw_names = [row[0] for row in schema]
    # DuckDB renames a repeated column (x, x_1): check the file's own names for repeats.
    try:
        file_names = pq.read_schema(source.path).names
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise UnreadableFileError(f"{source.name}: not a readable Parquet file") from exc
    _check_columns(source, feed, file_names)
    names = _check_columns(source, feed, raw_names)
    value_sql = {
        n: _as_text_parquet(orig, row[1])
        for n, orig, row in zip(names, raw_names, schema, strict=True)
    }
    select = _select_list(feed, names, value_sql)
    try:
        with _unordered(con):
            return con.execute(
                f"""INSERT INTO {target}
                SELECT {select}, {_sql_str(source.name)}, file_row_number + 1, now(), NULL, NULL
                FROM read_parquet({path}, file_row_number = true)"""
            ).fetchone()[0]
    except duckdb.Error as exc:
        raise UnreadableFileError(f"{source.name}: damaged Parquet file") from exc


def _list_text(items: str, whole: str) -> str:
    """A list as contract text: its items joined by ';', as a CSV list is written.

    An item that itself holds a ';' would come back as several items, each perhaps valid:
    such a list is kept as ``whole`` (its text with brackets), whose pieces are no valid
    item, so the row is quarantined for it.
    """
    return f"""CASE WHEN list_bool_or(list_transform({items}, lambda x: contains(x, ';')))
        THEN {whole} ELSE array_to_string({items}, ';') END"""


def _json_text(col: str) -> str:
    """A JSON value as contract text: arrays as lists (:func:`_list_text`), strings unquoted,
    null as NULL."""
    ident = _quote_ident(col)
    items = f"""list_transform(CAST({ident} AS JSON[]),
        lambda x: CASE json_type(x) WHEN 'VARCHAR' THEN x ->> '$' ELSE CAST(x AS VARCHAR) END)"""
    return f"""CASE json_type({ident})
        WHEN 'NULL' THEN NULL
        WHEN 'VARCHAR' THEN {ident} ->> '$'
        WHEN 'ARRAY' THEN {_list_text(items, f"CAST({ident} AS VARCHAR)")}
        ELSE CAST({ident} AS VARCHAR) END"""


def _read_jsonl(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    feed: Feed,
    target: str,
    ahead: Future[TextScan] | None,
) -> int:
    path = _sql_str(str(source.path))
    _scanned(source, ahead)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _bt_json AS SELECT json FROM read_ndjson_objects({path})"
        )
        not_object = con.execute(
            "SELECT min(k) FROM (SELECT json_type(json) AS t, row_number() OVER () AS k "
            "FROM _bt_json) WHERE t IS DISTINCT FROM 'OBJECT'"
        ).fetchone()[0]
        if not_object is not None:
            raise UnreadableFileError(
                f"{source.name}: line {not_object} is not a JSON object (JSON Lines needs one "
                "object per line)"
            )
        # The objects' key lists are few (one per export layout): check those, not each row.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _bt_json_keys AS "
            "SELECT DISTINCT json_keys(json) AS k FROM _bt_json"
        )
        repeated = con.execute(
            "SELECT count(*) FROM _bt_json_keys WHERE len(k) <> "
            f"len(list_distinct(list_transform(k, lambda x: lower({trim_sql('x')}))))"
        ).fetchone()[0]
        if repeated:
            raise UnreadableFileError(f"{source.name}: a key is repeated within one object")
        keys = con.execute("SELECT DISTINCT unnest(k) FROM _bt_json_keys").fetchall()
    except duckdb.Error as exc:
        raise UnreadableFileError(f"{source.name}: not JSON Lines (one object per line)") from exc
    # Only keys that name a contract column are extracted; others are ignored like extra
    # CSV columns (and an odd key, e.g. one with a quote, cannot break the JSON path).
    key_names = [k for (k,) in keys if k.strip().lower() in feed.columns]
    names = _check_columns(source, feed, key_names)
    value_sql = {n: _json_text(f"__k{i}") for i, n in enumerate(names)}
    extracts = ", ".join(
        f"json -> {_sql_str('$.' + _quote_ident(orig))} AS {_quote_ident(f'__k{i}')}"
        for i, orig in enumerate(key_names)
    )
    select = _select_list(feed, names, value_sql)
    try:
        return con.execute(
            f"""INSERT INTO {target}
            WITH src AS (SELECT {extracts}, row_number() OVER () AS k FROM _bt_json)
            SELECT {select}, {_sql_str(source.name)}, k, now(), NULL, NULL FROM src"""
        ).fetchone()[0]
    except duckdb.Error as exc:
        raise UnreadableFileError(f"{source.name}: not JSON Lines (one object per line)") from exc
    finally:
        _drop_quietly(con, "_bt_json", "_bt_json_keys")


def raw_columns(feed: Feed) -> list[tuple[str, str]]:
    """The columns of ``raw.<feed>``: the contract's columns as text plus lineage columns."""
    return [(c, "VARCHAR") for c in feed.columns] + list(RAW_EXTRA_COLUMNS)


def create_raw_table(
    con: duckdb.DuckDBPyConnection, feed: Feed, table: str, replace: bool = True
) -> bool:
    """Create the raw table (empty); with ``replace=False`` keep one of the right shape.

    Returns True when the table was (re)created empty, False when an existing one was kept.
    """
    wanted = raw_columns(feed)
    if not replace:
        schema, name = table.split(".")
        have = con.execute(
            """SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
            [schema, name],
        ).fetchall()
        if [(c, t) for c, t in have] == wanted:
            return False
    cols = ", ".join(
        f"{_quote_ident(c)} {t}{UNCOMPRESSED if c in feed.uncompressed else ''}" for c, t in wanted
    )
    con.execute(f"CREATE OR REPLACE TABLE {table} ({cols})")
    return True


def read_file(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    table: str,
    scan: Future[TextScan] | None = None,
) -> int:
    """Append one file's rows to ``table``; returns the number of rows read.

    ``scan`` is the file's scan from :func:`text_scans`, if it was scanned ahead; a text
    file without one is scanned here.
    """
    if source.size == 0:
        raise UnreadableFileError(f"{source.name}: empty file (0 bytes)")
    feed = next(f for f in FEEDS if f.name == source.feed)
    try:
        if source.fmt == "csv":
            return _read_csv(con, source, feed, table, scan)
        if source.fmt == "jsonl":
            return _read_jsonl(con, source, feed, table, scan)
        return _read_parquet(con, source, feed, table)
    except UnreadableFileError:
        raise
    except duckdb.Error as exc:
        # Message of DuckDB may quote row content: name the file and the kind of failure only.
        raise UnreadableFileError(
            f"{source.name}: cannot be read as {source.fmt.upper()} ({type(exc).__name__})"
        ) from exc
