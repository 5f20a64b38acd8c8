"""Funder scopes: which cities and which Berlin calendar dates a funder's figures cover.

A funder's scope (METRICS.md) is its ``cities`` and its period ``[period_start, end]``
with ``end = min(period_end, BT_AS_OF)``. Every instant is first turned into its
Europe/Berlin calendar date; "in period" means ``period_start <= date <= end``.

The functions here are vectorised over funders: :func:`in_scope` joins a frame to the
``(funder_id, city)`` table of :meth:`Scope.cities`, so one row becomes one row per funder
whose scope holds it (a city in two scopes is computed for each with its own period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

__all__ = [
    "BERLIN",
    "Funder",
    "Scope",
    "age_band",
    "as_of_date",
    "berlin_date",
    "ensure_utc",
    "in_scope",
    "participant_attrs",
    "with_age_band",
    "with_match_city",
    "with_person_city",
]

BERLIN = "Europe/Berlin"


@dataclass(frozen=True)
class Funder:
    """One funder's scope, as read from ``BT_FUNDERS`` (TOML ``[[funder]]``).

    ``cities`` keeps the TOML order: it is the order of the ``city=`` segments.
    """

    id: str
    name: str
    cities: tuple[str, ...]
    period_start: dt.date
    period_end: dt.date
    language: str = "en"

    def __post_init__(self) -> None:
        # TOML gives a list; keep an immutable, ordered tuple.
        object.__setattr__(self, "cities", tuple(self.cities))

    def end(self, as_of: dt.date) -> dt.date:
        """``end = min(period_end, BT_AS_OF)``."""
        return min(self.period_end, as_of)


def as_of_date(as_of: dt.date | dt.datetime) -> dt.date:
    """``BT_AS_OF`` as a date: a timestamp is cut to its Berlin date.

    An aware datetime is converted to Europe/Berlin first; a naive one is read as Berlin
    wall time (the contract's rule for timestamps without offset).
    """
    if isinstance(as_of, dt.datetime):
        if as_of.tzinfo is not None:
            as_of = as_of.astimezone(ZoneInfo(BERLIN))
        return as_of.date()
    return as_of


def berlin_date(instant: pl.Expr | str) -> pl.Expr:
    """The Europe/Berlin calendar date of a UTC instant (``2026-06-02T23:30Z`` -> 2026-06-03)."""
    expr = pl.col(instant) if isinstance(instant, str) else instant
    return expr.dt.convert_time_zone(BERLIN).dt.date()


def ensure_utc(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Make every Datetime column time-zone aware (a naive instant is read as UTC).

    Core instants are ``Datetime("us", "UTC")``; a DuckDB session with another time zone
    yields another zone, which :func:`berlin_date` converts just as well. Only the schema
    is resolved here, no data.
    """
    schema = frame.collect_schema()
    naive = [
        name
        for name, dtype in schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None
    ]
    if not naive:
        return frame
    return frame.with_columns(pl.col(naive).dt.replace_time_zone("UTC"))


@dataclass(frozen=True)
class Scope:
    """The funders of one run and the run's ``BT_AS_OF`` date."""

    funders: tuple[Funder, ...]
    as_of: dt.date

    @classmethod
    def of(cls, funders: list[Funder] | tuple[Funder, ...], as_of: dt.date | dt.datetime) -> Scope:
        return cls(tuple(funders), as_of_date(as_of))

    def cities(self) -> pl.LazyFrame:
        """One row per funder and city of its scope: ``funder_id, city, period_start, end``.

        A city listed twice by one funder counts once (first position).
        """
        rows: dict[str, list] = {"funder_id": [], "city": [], "period_start": [], "end": []}
        for f in self.funders:
            for city in dict.fromkeys(f.cities):
                rows["funder_id"].append(f.id)
                rows["city"].append(city)
                rows["period_start"].append(f.period_start)
                rows["end"].append(f.end(self.as_of))
        return pl.LazyFrame(
            rows,
            schema={
                "funder_id": pl.String,
                "city": pl.String,
                "period_start": pl.Date,
                "end": pl.Date,
            },
        )


def in_scope(
    frame: pl.LazyFrame,
    scope: Scope,
    *,
    date: str | pl.Expr | None,
    city: str = "city",
) -> pl.LazyFrame:
    """Rows of ``frame`` in each funder's scope, tagged with ``funder_id, period_start, end``.

    A row is in scope when its ``city`` column is one of the funder's cities and, unless
    ``date`` is None (snapshot metrics), its Berlin calendar date ``date`` is in period.
    A row in the scope of two funders appears twice.
    """
    cities = scope.cities().rename({"city": city}) if city != "city" else scope.cities()
    out = frame.join(cities, on=city, how="inner")
    if date is None:
        return out
    d = pl.col(date) if isinstance(date, str) else date
    return out.filter(d.is_between(pl.col("period_start"), pl.col("end"), closed="both"))


def age_band(birth_year: pl.Expr | str = "birth_year", end: pl.Expr | str = "end") -> pl.Expr:
    """Age band by ``year(end) - birth_year``: 24 is ``<25``, 25-39, 40-59, 60 is ``60+``.

    A missing birth year is ``unknown``.
    """
    by = pl.col(birth_year) if isinstance(birth_year, str) else birth_year
    e = pl.col(end) if isinstance(end, str) else end
    age = e.dt.year().cast(pl.Int64) - by.cast(pl.Int64)
    return (
        pl.when(by.is_null())
        .then(pl.lit("unknown"))
        .when(age < 25)
        .then(pl.lit("<25"))
        .when(age < 40)
        .then(pl.lit("25-39"))
        .when(age < 60)
        .then(pl.lit("40-59"))
        .otherwise(pl.lit("60+"))
    )


def with_age_band(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``age_band`` from ``birth_year`` and the funder's ``end`` (after :func:`in_scope`)."""
    return frame.with_columns(age_band=age_band())


def participant_attrs(participants: pl.LazyFrame) -> pl.LazyFrame:
    """``participant_id, city, group, gender, birth_year``: what a participant is segmented by."""
    return participants.select(
        "participant_id",
        "city",
        "group",
        pl.col("gender").fill_null("unspecified"),
        "birth_year",
    )


def with_match_city(frame: pl.LazyFrame, participants: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``city`` = the city of the match's newcomer (rows over matches take its scope).

    ``frame`` must carry ``newcomer_id``.
    """
    cities = participants.select(newcomer_id=pl.col("participant_id"), city=pl.col("city"))
    return frame.join(cities, on="newcomer_id", how="inner")


def with_person_city(frame: pl.LazyFrame, participants: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``city`` = the city of the row's ``participant_id`` (rows over one person)."""
    return frame.join(participants.select("participant_id", "city"), on="participant_id")
