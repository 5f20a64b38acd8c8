"""Files written for people: atomically (temp name + rename) and safe to open in a spreadsheet."""

import os
import tempfile
from pathlib import Path

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (CONTRACT.md, hostile input).

    A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR and is not a number.
    """
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(
            pl.col(c).str.contains(FORMULA_START)
            & pl.col(c).str.strip_chars().cast(pl.Float64, strict=False).is_null()
        )
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text_columns
    )


def atomic_write_bytes(data: bytes, path: Path) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_csv(frame: pl.DataFrame, path: Path) -> None:
    """A CSV for people: formulas neutralised, UTF-8 with BOM (so spreadsheets read umlauts)."""
    body = neutralise_formulas(frame).write_csv()
    atomic_write_bytes(("\ufeff" + body).encode("utf-8"), path)
