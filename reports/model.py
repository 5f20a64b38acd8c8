"""Plain-data inputs and outputs of a funder report, so ``reports`` needs no pipeline code.

The pipeline reads the warehouse, builds one :class:`ReportInput` per funder and hands it
to :func:`reports.render_report`; everything in it is already aggregated and
disclosure-controlled (METRICS.md), so a report can only show aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import polars as pl

__all__ = [
    "LEVELS",
    "METRICS_SCHEMA",
    "MONTHLY_SCHEMA",
    "SURVIVAL_SCHEMA",
    "CheckOutcome",
    "FeedQuality",
    "Funder",
    "MetricInfo",
    "Provenance",
    "RenderedReport",
    "ReportInput",
]

Language = Literal["de", "en"]
Level = Literal["output", "outcome", "survey", "impact", "matching"]

LEVELS: tuple[str, ...] = ("output", "outcome", "survey", "impact", "matching")
"""IOOI levels in report order (the PHINEO impact staircase plus matching quality)."""

METRICS_SCHEMA: dict[str, pl.DataType] = {
    "funder_id": pl.String(),
    "metric_id": pl.String(),
    "segment": pl.String(),
    "value": pl.Float64(),
    "n": pl.Int64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "suppressed": pl.Boolean(),
}
"""Columns of ``marts.impact_metrics`` (CONTRACT.md), in order."""

MONTHLY_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "registrations": pl.Int64(),
    "matches": pl.Int64(),
}
"""Monthly output counts; null means suppressed (fewer than 5)."""

SURVIVAL_SCHEMA: dict[str, pl.DataType] = {
    "day": pl.Int64(),
    "survival": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}
"""Kaplan-Meier step curve with its Greenwood 95% band."""


def _conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], what: str) -> pl.DataFrame:
    """Select and cast ``frame`` to ``schema``, naming missing columns in the error."""
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"{what} must be a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {', '.join(missing)}")
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())


@dataclass(frozen=True)
class Funder:
    """One funder's scope as configured in ``funders.toml``."""

    id: str
    name: str
    cities: tuple[str, ...]
    period_start: date
    period_end: date
    language: Language = "de"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cities", tuple(self.cities))
        if self.language not in ("de", "en"):
            raise ValueError(
                f"funder {self.id}: language must be 'de' or 'en', not {self.language!r}"
            )
        if self.period_end < self.period_start:
            raise ValueError(f"funder {self.id}: period_end is before period_start")


@dataclass(frozen=True)
class MetricInfo:
    """A metric's IOOI level and its English definition from the metric's single source."""

    level: Level
    definition: str


@dataclass(frozen=True)
class FeedQuality:
    """Row reconciliation of one input feed: read = accepted + quarantined + superseded."""

    feed: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_superseded: int


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one data-quality check, for the appendix."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Provenance:
    """What a report was computed from, so a reader can reproduce it."""

    run_id: str
    as_of: date
    files: tuple[tuple[str, str], ...]
    code_version: str
    generated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple((str(f), str(h)) for f, h in self.files))


@dataclass(frozen=True, eq=False)
class ReportInput:
    """Everything one funder report shows, already aggregated and disclosure-controlled.

    ``metrics`` holds the funder's rows of ``marts.impact_metrics``; ``monthly`` the
    registrations and matches per month (null = fewer than 5); ``survival`` the
    Kaplan-Meier curve. Frames are selected and cast to their schemas on construction.
    """

    funder: Funder
    as_of: date
    end: date
    metrics: pl.DataFrame
    definitions: Mapping[str, MetricInfo]
    monthly: pl.DataFrame
    survival: pl.DataFrame
    provenance: Provenance
    data_quality: Sequence[FeedQuality] = field(default=())
    checks: Sequence[CheckOutcome] = field(default=())

    def __post_init__(self) -> None:
        if self.end != min(self.funder.period_end, self.as_of):
            raise ValueError(
                f"end must be min(period_end, as_of) = "
                f"{min(self.funder.period_end, self.as_of)}, not {self.end}"
            )
        object.__setattr__(self, "metrics", _conform(self.metrics, METRICS_SCHEMA, "metrics"))
        object.__setattr__(self, "monthly", _conform(self.monthly, MONTHLY_SCHEMA, "monthly"))
        object.__setattr__(self, "survival", _conform(self.survival, SURVIVAL_SCHEMA, "survival"))
        object.__setattr__(self, "definitions", MappingProxyType(dict(self.definitions)))
        object.__setattr__(self, "data_quality", tuple(self.data_quality))
        object.__setattr__(self, "checks", tuple(self.checks))
        others = self.metrics.filter(pl.col("funder_id") != self.funder.id)
        if others.height:
            raise ValueError(
                f"metrics hold {others.height} row(s) of another funder than {self.funder.id}"
            )
        small = pl.col("n").is_between(1, 4) & ~pl.col("suppressed").fill_null(False)
        leaks = self.metrics.filter(small)
        if leaks.height:
            first = leaks.row(0, named=True)
            raise ValueError(
                f"metrics hold {leaks.height} unsuppressed cell(s) with 0 < n < 5, "
                f"e.g. {first['metric_id']} / {first['segment']}"
            )
        for column in ("registrations", "matches"):
            if self.monthly.filter(pl.col(column).is_between(1, 4)).height:
                raise ValueError(f"monthly {column} holds a count below 5 that is not null")

    @property
    def has_data(self) -> bool:
        """False when the funder's cities have no data at all (every ``n`` is 0)."""
        return bool(self.metrics.filter(pl.col("n").fill_null(0) > 0).height)


@dataclass(frozen=True)
class RenderedReport:
    """Where :func:`reports.render_report` wrote a report, and how many PDF pages it has."""

    html_path: Path
    pdf_path: Path
    csv_path: Path
    pages: int
