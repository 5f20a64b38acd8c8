"""Render a funder's report to HTML, PDF (WeasyPrint) and CSV, each written atomically.

One Jinja2 environment with autoescaping everywhere (city names and funder names are
data, not markup), Babel filters bound to the report's language through the template
context, and the print CSS inlined so ``report.html`` is self-contained. WeasyPrint
gets a URL fetcher that fetches nothing, so rendering never touches the network.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import io
import math
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from reports import formatting
from reports.labels import TEXT
from reports.model import METRICS_SCHEMA, RenderedReport, ReportInput

__all__ = [
    "CSV_COLUMNS",
    "ENV",
    "definition_markup",
    "metrics_csv_rows",
    "neutralise_formula",
    "render_html",
    "render_report",
    "sweep_temporaries",
    "write_atomic",
]

CSV_COLUMNS: tuple[str, ...] = tuple(METRICS_SCHEMA)
"""Columns of ``metrics.csv``: those of ``marts.impact_metrics``."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _lang_filter(function: Callable[..., str]) -> Callable[..., str]:
    """Wrap ``function(value, lang, ...)`` as a filter taking the language from the context."""

    @pass_context
    def _filter(context: Context, value: Any, *args: Any) -> str:
        return function(value, context["lang"], *args)

    _filter.__name__ = function.__name__
    _filter.__doc__ = function.__doc__
    return _filter


def _monthly_count(value: int | None, lang: str) -> str:
    """A monthly count; ``None`` is a suppressed month and reads "fewer than 5"."""
    return TEXT[lang]["fewer_than_5"] if value is None else formatting.format_count(value, lang)


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def definition_markup(text: str) -> Markup:
    """Definition text with its Markdown ```code``` and ``**bold**`` shown, escaped first."""
    safe = str(escape(text))
    safe = _CODE.sub(r"<code>\1</code>", safe)
    return Markup(_BOLD.sub(r"<strong>\1</strong>", safe))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters |= {
        "number": _lang_filter(formatting.format_number),
        "count": _lang_filter(formatting.format_count),
        "percent": _lang_filter(formatting.format_share),
        "date": _lang_filter(formatting.format_date),
        "datetime": _lang_filter(formatting.format_datetime),
        "month": _lang_filter(formatting.format_month),
        "cell_value": _lang_filter(formatting.format_cell_value),
        "cell_ci": _lang_filter(formatting.format_cell_ci),
        "cell_n": _lang_filter(formatting.format_cell_n),
        "monthly_count": _lang_filter(_monthly_count),
        "definition": definition_markup,
    }
    return env


ENV = _environment()
"""The one Jinja2 environment of all reports."""


def _print_css() -> Markup:
    """The print stylesheet, trusted package data, inlined into ``<style>``."""
    css = files("reports").joinpath("static/print.css").read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError("print.css must not contain '</'")
    return Markup(css)


def render_html(inp: ReportInput) -> str:
    """The report as one self-contained HTML document (CSS and SVG charts inline)."""
    # Imported here: the view draws charts with Altair (0.3 s to import), which only the
    # processes that render need, not every Dagster process that imports ``reports``.
    from reports.view import build_context

    return ENV.get_template("report.html").render(css=_print_css(), **build_context(inp))


def neutralise_formula(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula, unless it is a number."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _float_text(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def metrics_csv_rows(metrics: pl.DataFrame) -> list[dict[str, str]]:
    """The rows of ``metrics.csv`` as text: suppressed cells lose value, n and CI; formulas neutralised."""
    rows = []
    for row in metrics.select(CSV_COLUMNS).iter_rows(named=True):
        hidden = bool(row["suppressed"])
        text = {
            "funder_id": row["funder_id"] or "",
            "metric_id": row["metric_id"] or "",
            "segment": row["segment"] or "",
            "value": "" if hidden else _float_text(row["value"]),
            "n": "" if hidden or row["n"] is None else str(row["n"]),
            "ci_low": "" if hidden else _float_text(row["ci_low"]),
            "ci_high": "" if hidden else _float_text(row["ci_high"]),
            "suppressed": "true" if hidden else "false",
        }
        rows.append({k: neutralise_formula(v) for k, v in text.items()})
    return rows


def _metrics_csv(metrics: pl.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(metrics_csv_rows(metrics))
    return buffer.getvalue().encode("utf-8")


_TEMP_NAME = re.compile(r"^\.(.+)\.[A-Za-z0-9_]{6,}\.tmp$")
_ORPHAN_AGE_S = 10.0


_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400


def _scratch_dir(folder: Path) -> Path | None:
    """This user's private folder (mode 0700) in the system temp folder, if it is on the
    file system of ``folder``; else None.

    A finished file is named there before its rename into ``folder``, so that a kill in the
    microseconds between naming and renaming leaves nothing among the reports, and what it
    leaves is readable by nobody else (:func:`sweep_temporaries` removes it later).
    """
    if not hasattr(os, "getuid") or not hasattr(os, "O_TMPFILE"):
        return None  # not Linux: write_atomic names its temporary files beside the target
    scratch = Path(tempfile.gettempdir()) / f"bt-impact-{os.getuid()}"
    try:
        scratch.mkdir(mode=0o700, exist_ok=True)
        info = scratch.lstat()
        if (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and not info.st_mode & 0o077
            and info.st_dev == folder.stat().st_dev
        ):
            return scratch
    except OSError:
        pass
    return None


def _temp_name(folder: Path, path: Path) -> str:
    return str(folder / f".{path.name}.{secrets.token_hex(4)}.tmp")


def _link_open_file(fd: int, name: str) -> None:
    """Give the unnamed ``O_TMPFILE`` inode behind ``fd`` the name ``name`` (Linux ``linkat``).

    ``os.link`` cannot do this before Python 3.14: it calls ``link()``, which links the
    ``/proc`` symlink itself instead of following it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    source = f"/proc/self/fd/{fd}".encode()
    if libc.linkat(_AT_FDCWD, source, _AT_FDCWD, os.fsencode(name), _AT_SYMLINK_FOLLOW) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), name)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one.

    On Linux the bytes go to an unnamed ``O_TMPFILE`` inode first, so even a
    ``SIGKILL`` during the write leaves nothing behind; the finished inode is linked
    under a hidden temporary name (in :func:`_scratch_dir` when it can be, else beside
    ``path``, also when the link there fails across mounts) and renamed into place (a
    window of microseconds). Elsewhere a named temporary file is written beside
    ``path``. On any error the temporary file is removed.
    """
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except (AttributeError, OSError):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        linked = False
    else:
        tmp, linked = "", True
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), 0o644)
            if linked:
                tmp = _link_beside_or_in_scratch(fh.fileno(), path)
        os.replace(tmp, path)
    except BaseException:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def _link_beside_or_in_scratch(fd: int, path: Path) -> str:
    """Name the finished inode ``fd`` for its rename onto ``path``; returns the name."""
    scratch = _scratch_dir(path.parent)
    if scratch is not None:
        name = _temp_name(scratch, path)
        try:
            _link_open_file(fd, name)
            return name
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # same device, other mount (a bind mount)
                raise
    name = _temp_name(path.parent, path)
    _link_open_file(fd, name)
    return name


def sweep_temporaries(folder: Path, *, older_than_s: float = _ORPHAN_AGE_S) -> list[Path]:
    """Remove temporary files :func:`write_atomic` left in ``folder`` when a process was killed.

    Only hidden ``.<name>.<random>.tmp`` files older than ``older_than_s`` go, so a
    concurrent writer's file (which lives for microseconds) is never touched. The private
    scratch folder that writes into ``folder`` use (:func:`_scratch_dir`) is swept too.
    """
    removed: list[Path] = []
    scratch = _scratch_dir(folder) if folder.is_dir() else None
    if scratch is not None and scratch != folder:
        removed += sweep_temporaries(scratch, older_than_s=older_than_s)
    if not folder.is_dir():
        return removed
    now = time.time()
    for entry in folder.iterdir():
        if not _TEMP_NAME.match(entry.name) or not entry.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):
            if now - entry.stat().st_mtime >= older_than_s:
                entry.unlink()
                removed.append(entry)
    return removed


def render_report(inp: ReportInput, out_dir: Path) -> RenderedReport:
    """Write ``report.html``, ``report.pdf`` and ``metrics.csv`` for one funder into ``out_dir``.

    Everything is rendered in memory first, then each file is replaced atomically, so a
    failure leaves the previous report (or nothing) and no temporary file.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(out_dir)
    # WeasyPrint is imported here, not with the package: every Dagster process imports
    # ``reports`` (for its atomic file helpers), only report workers lay out PDFs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_html(inp)
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render()
    pdf = document.write_pdf()
    csv_bytes = _metrics_csv(inp.metrics)
    paths = RenderedReport(
        html_path=out_dir / "report.html",
        pdf_path=out_dir / "report.pdf",
        csv_path=out_dir / "metrics.csv",
        pages=len(document.pages),
    )
    write_atomic(paths.csv_path, csv_bytes)
    write_atomic(paths.html_path, html.encode("utf-8"))
    write_atomic(paths.pdf_path, pdf)
    return paths
