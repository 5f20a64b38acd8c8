"""Series the funder reports chart beside the metrics: monthly outputs and the survival curve.

Both use the same scoping as the metrics they illustrate (``registrations``,
``matches_made``, ``tandem_survival_182d``) and apply disclosure control before anything
leaves the warehouse: a month with 0 < count < 5 is null, plus the smallest other non-zero
month of the series when exactly one is, and a curve over fewer than 5 matches is not given.
"""

from __future__ import annotations

import polars as pl

from transforms.outputs import _matches_in_period, _scoped_participants
from transforms.scope import Scope, in_scope, with_match_city
from transforms.stats import Z

__all__ = ["MIN_CELL", "monthly_outputs", "survival_curve"]

MIN_CELL = 5


def _months(scope: Scope) -> pl.LazyFrame:
    """Every calendar month of each funder's period up to its ``end`` (first days)."""
    frames = []
    for funder in scope.funders:
        end = funder.end(scope.as_of)
        if end < funder.period_start:
            continue
        months = pl.date_range(
            funder.period_start.replace(day=1), end.replace(day=1), interval="1mo", eager=True
        )
        frames.append(pl.DataFrame({"funder_id": funder.id, "month": months}))
    if not frames:
        return pl.LazyFrame(schema={"funder_id": pl.String, "month": pl.Date})
    return pl.concat(frames).lazy()


def _suppress_series(column: str) -> pl.Expr:
    """Primary (0 < n < 5) and secondary (one hidden month -> also the smallest other) suppression."""
    value = pl.col(column)
    primary = value.is_between(1, MIN_CELL - 1)
    exactly_one = primary.sum().over("funder_id") == 1
    candidate = pl.when(~primary & (value > 0)).then(value)
    # Smallest other non-zero month; ties go to the earliest month (rank "ordinal" by month order).
    smallest = candidate.rank("ordinal").over("funder_id", order_by="month") == 1
    hidden = primary | (exactly_one & smallest & candidate.is_not_null())
    return pl.when(hidden).then(None).otherwise(value).alias(column)


def monthly_outputs(
    participants: pl.LazyFrame, matches: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Registrations and matches made per calendar month of each funder's period.

    Columns ``funder_id, month, registrations, matches`` (Int64; null = fewer than 5 or
    hidden by secondary suppression). Months come from the Berlin date, as in the metrics.
    """
    regs = (
        in_scope(_scoped_participants(participants), scope, date="registered_date")
        .group_by("funder_id", month=pl.col("registered_date").dt.truncate("1mo"))
        .agg(registrations=pl.len().cast(pl.Int64))
    )
    made = (
        _matches_in_period(matches, participants, scope)
        .group_by("funder_id", month=pl.col("matched_date").dt.truncate("1mo"))
        .agg(matches=pl.len().cast(pl.Int64))
    )
    return (
        _months(scope)
        .join(regs, on=["funder_id", "month"], how="left")
        .join(made, on=["funder_id", "month"], how="left")
        .with_columns(pl.col("registrations", "matches").fill_null(0))
        .sort("funder_id", "month")
        .with_columns(_suppress_series("registrations"), _suppress_series("matches"))
    )


def survival_curve(
    outcomes: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Kaplan-Meier step curve of the tandems made in each funder's period, with its band.

    Columns ``funder_id, day, survival, ci_low, ci_high``: one row at day 0 (S = 1) and one
    per event time, the same estimator and plain Greenwood band as ``tandem_survival_182d``.
    Funders with fewer than 5 matches get no curve (disclosure control).
    """
    units = in_scope(with_match_city(outcomes, participants), scope, date="matched_date")
    totals = units.group_by("funder_id").agg(n=pl.len().cast(pl.Int64))
    steps = (
        units.group_by("funder_id", "duration_days")
        .agg(d=pl.col("ended").cast(pl.Int64).sum(), c=pl.len().cast(pl.Int64))
        .with_columns(
            at_risk=pl.col("c").cum_sum(reverse=True).over("funder_id", order_by="duration_days")
        )
        .filter(pl.col("d") > 0)
        .sort("funder_id", "duration_days")
        .with_columns(
            survival=(1.0 - pl.col("d") / pl.col("at_risk")).cum_prod().over("funder_id"),
            gw=(pl.col("d") / (pl.col("at_risk") * (pl.col("at_risk") - pl.col("d"))))
            .cum_sum()
            .over("funder_id"),
        )
        .select(
            "funder_id", day=pl.col("duration_days").cast(pl.Int64), survival="survival", gw="gw"
        )
    )
    start = totals.select(
        "funder_id", day=pl.lit(0, pl.Int64), survival=pl.lit(1.0), gw=pl.lit(0.0)
    )
    half = Z * (pl.col("survival") ** 2 * pl.col("gw")).sqrt()
    zero = pl.col("survival") <= 0
    return (
        pl.concat([start, steps])
        .join(totals.filter(pl.col("n") >= MIN_CELL), on="funder_id", how="semi")
        .unique(["funder_id", "day"], keep="last", maintain_order=True)
        .sort("funder_id", "day")
        .with_columns(
            ci_low=pl.when(zero).then(0.0).otherwise((pl.col("survival") - half).clip(0.0, 1.0)),
            ci_high=pl.when(zero).then(0.0).otherwise((pl.col("survival") + half).clip(0.0, 1.0)),
        )
        .select("funder_id", "day", "survival", "ci_low", "ci_high")
    )
