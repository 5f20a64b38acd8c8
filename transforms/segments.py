"""Segments of a metric and disclosure control (primary + secondary suppression).

Fixed segment lists, always emitted (n = 0 when empty), in this order:
``all``; ``city=<c>`` for each city of the funder in TOML order; for the metrics over
participants also ``group=newcomer|local``, ``gender=female|male|diverse|unspecified``,
``age=<25|25-39|40-59|60+|unknown``.

A metric is computed from a frame of *units* (one row per unit behind the figure, per
funder) carrying ``funder_id`` and the unit's attributes ``city`` (and ``group``,
``gender``, ``age_band`` for participant metrics). :func:`explode_segments` gives each unit
one row per segment it belongs to; a ``city=`` label of a city outside the funder's scope
is dropped (so such a unit counts in ``all`` only). :func:`fill_segments` puts the result
on the fixed list. The ``finish_*`` helpers turn aggregates into
``value, n, ci_low, ci_high`` with the spec's n = 0 conventions.

Suppression (:func:`suppress`): a cell with ``0 < n < 5`` is suppressed. Per funder, metric
and family (cities, groups, genders, age bands; ``all`` is in none), if exactly one cell is
primarily suppressed, the other cell with ``n > 0`` and the smallest ``n`` is suppressed
too, ties to the first in segment order; one pass, no cascade; nothing more if no other
non-zero cell exists.
"""

from __future__ import annotations

import polars as pl

from transforms.scope import Scope
from transforms.stats import t_ci, wilson_ci

__all__ = [
    "AGE_BANDS",
    "AREA",
    "GENDERS",
    "GROUPS",
    "METRIC_COLUMNS",
    "PARTICIPANT",
    "explode_segments",
    "fill_segments",
    "finish_count",
    "finish_mean",
    "finish_median",
    "finish_share",
    "per_segment",
    "segment_list",
    "suppress",
]

GROUPS = ("newcomer", "local")
GENDERS = ("female", "male", "diverse", "unspecified")
AGE_BANDS = ("<25", "25-39", "40-59", "60+", "unknown")

AREA = ("all", "city")
"""Segment families of every metric."""
PARTICIPANT = ("all", "city", "group", "gender", "age")
"""Segment families of the metrics over participants."""

METRIC_COLUMNS = ["funder_id", "segment", "family", "seg_order", "value", "n", "ci_low", "ci_high"]
"""Columns of a metric function's result (``family`` and ``seg_order`` feed suppression)."""

_FAMILY_ATTR = {"city": "city", "group": "group", "gender": "gender", "age": "age_band"}
_SEGMENT_SCHEMA = {
    "funder_id": pl.String,
    "segment": pl.String,
    "family": pl.String,
    "seg_order": pl.Int64,
}


def _labels(cities: tuple[str, ...], families: tuple[str, ...]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for family in families:
        if family == "all":
            out.append(("all", "all"))
        elif family == "city":
            out += [(f"city={c}", "city") for c in dict.fromkeys(cities)]
        elif family == "group":
            out += [(f"group={g}", "group") for g in GROUPS]
        elif family == "gender":
            out += [(f"gender={g}", "gender") for g in GENDERS]
        elif family == "age":
            out += [(f"age={a}", "age") for a in AGE_BANDS]
        else:
            raise ValueError(f"unknown segment family {family!r}")
    return out


def segment_list(scope: Scope, families: tuple[str, ...]) -> pl.LazyFrame:
    """The fixed segment list of every funder: ``funder_id, segment, family, seg_order``."""
    rows: dict[str, list] = {k: [] for k in _SEGMENT_SCHEMA}
    for f in scope.funders:
        for i, (segment, family) in enumerate(_labels(f.cities, families)):
            rows["funder_id"].append(f.id)
            rows["segment"].append(segment)
            rows["family"].append(family)
            rows["seg_order"].append(i)
    return pl.LazyFrame(rows, schema=_SEGMENT_SCHEMA)


def explode_segments(units: pl.LazyFrame, scope: Scope, families: tuple[str, ...]) -> pl.LazyFrame:
    """One row per unit and segment it belongs to (column ``segment``).

    Labels are built from the unit's ``city``/``group``/``gender``/``age_band``; only the
    labels on the funder's fixed list are kept (a city outside the scope counts in
    ``all`` only).
    """
    labels: list[pl.Expr] = []
    for family in families:
        if family == "all":
            labels.append(pl.lit("all"))
        else:
            attr = _FAMILY_ATTR[family]
            labels.append(pl.concat_str([pl.lit(f"{family}="), pl.col(attr)]))
    keep = segment_list(scope, families).select("funder_id", "segment")
    return (
        units.with_columns(segment=pl.concat_list(labels))
        .explode("segment")
        .join(keep, on=["funder_id", "segment"], how="inner")
    )


def fill_segments(per_cell: pl.LazyFrame, scope: Scope, families: tuple[str, ...]) -> pl.LazyFrame:
    """Left-join aggregates (keyed ``funder_id, segment``) onto the fixed segment list."""
    return segment_list(scope, families).join(per_cell, on=["funder_id", "segment"], how="left")


def per_segment(
    units: pl.LazyFrame, scope: Scope, families: tuple[str, ...], **aggs: pl.Expr
) -> pl.LazyFrame:
    """Aggregate ``units`` per funder and segment; empty segments get null aggregates."""
    per_cell = explode_segments(units, scope, families).group_by("funder_id", "segment").agg(**aggs)
    return fill_segments(per_cell, scope, families)


def _n() -> pl.Expr:
    return pl.col("n").fill_null(0).cast(pl.Int64)


def finish_count(cells: pl.LazyFrame, value: str | None = None) -> pl.LazyFrame:
    """Counts: value = n (or the ``value`` column, 0 when empty), no CI."""
    v = pl.col("n") if value is None else pl.col(value).fill_null(0)
    return (
        cells.with_columns(n=_n())
        .with_columns(
            value=v.cast(pl.Float64),
            ci_low=pl.lit(None, pl.Float64),
            ci_high=pl.lit(None, pl.Float64),
        )
        .select(METRIC_COLUMNS)
    )


def finish_share(cells: pl.LazyFrame, k: str = "k") -> pl.LazyFrame:
    """Shares ``k / n`` with a Wilson CI; value and CI null when ``n = 0``."""
    cells = cells.with_columns(n=_n(), **{k: pl.col(k).fill_null(0)})
    low, high = wilson_ci(k, "n")
    return cells.with_columns(
        value=pl.when(pl.col("n") > 0).then(pl.col(k) / pl.col("n")).cast(pl.Float64),
        ci_low=low,
        ci_high=high,
    ).select(METRIC_COLUMNS)


def finish_mean(cells: pl.LazyFrame, mean: str = "mean", sd: str = "sd") -> pl.LazyFrame:
    """Means with a t CI; value null when ``n = 0``, CI null when ``n < 2``."""
    cells = cells.with_columns(n=_n())
    low, high = t_ci(mean, sd, "n")
    return cells.with_columns(
        value=pl.when(pl.col("n") > 0).then(pl.col(mean)).cast(pl.Float64),
        ci_low=low,
        ci_high=high,
    ).select(METRIC_COLUMNS)


def finish_median(cells: pl.LazyFrame, median: str = "median") -> pl.LazyFrame:
    """Medians: value null when ``n = 0``, never a CI."""
    return (
        cells.with_columns(n=_n())
        .with_columns(
            value=pl.when(pl.col("n") > 0).then(pl.col(median)).cast(pl.Float64),
            ci_low=pl.lit(None, pl.Float64),
            ci_high=pl.lit(None, pl.Float64),
        )
        .select(METRIC_COLUMNS)
    )


def suppress(cells: pl.LazyFrame, by: tuple[str, ...] = ("funder_id", "metric_id")) -> pl.LazyFrame:
    """Add ``suppressed``: primary ``0 < n < 5`` plus one secondary cell per family.

    Within each ``by + family`` group other than ``all``: if exactly one cell is primarily
    suppressed, also suppress the other cell with ``n > 0`` and the smallest ``n``, ties to
    the smallest ``seg_order``; one pass, no cascade.
    """
    group = [*by, "family"]
    primary = (pl.col("n") > 0) & (pl.col("n") < 5)
    candidate = ~pl.col("_primary") & (pl.col("n") > 0)
    return (
        cells.with_columns(_primary=primary)
        .with_columns(
            _cand=candidate,
            _n_primary=pl.col("_primary").cast(pl.Int64).sum().over(group),
        )
        .with_columns(_min_n=pl.col("n").filter(pl.col("_cand")).min().over(group))
        .with_columns(
            _pick=pl.col("seg_order")
            .filter(pl.col("_cand") & (pl.col("n") == pl.col("_min_n")))
            .min()
            .over(group)
        )
        .with_columns(
            suppressed=pl.col("_primary")
            | (
                (pl.col("family") != "all")
                & (pl.col("_n_primary") == 1)
                & pl.col("_cand")
                & (pl.col("seg_order") == pl.col("_pick"))
            ).fill_null(False)
        )
        .drop("_primary", "_cand", "_n_primary", "_min_n", "_pick")
    )
