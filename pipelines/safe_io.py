"""CSV files for people (coordinators): atomic, and safe to open in a spreadsheet.

The formula rule and the atomic write are the reports package's (one definition each);
this module applies them to a Polars frame.
"""

from pathlib import Path

import polars as pl

from reports import neutralise_formula, sweep_temporaries, write_atomic


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Apply :func:`reports.neutralise_formula` to every text cell (exports are small)."""
    return frame.with_columns(
        pl.col(c).map_elements(neutralise_formula, return_dtype=pl.String)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )


def atomic_write_csv(frame: pl.DataFrame, path: Path) -> None:
    """A CSV for people: formulas neutralised, UTF-8 with BOM (so spreadsheets read umlauts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path.parent)
    body = neutralise_formulas(frame).write_csv()
    write_atomic(path, ("\ufeff" + body).encode("utf-8"))
