"""Impact metric (what lasts): Kaplan-Meier survival of tandems at 182 days."""

from __future__ import annotations

import polars as pl

from transforms.scope import Scope, in_scope, with_match_city
from transforms.segments import AREA, METRIC_COLUMNS, explode_segments, fill_segments
from transforms.stats import greenwood_ci, kaplan_meier

__all__ = ["SURVIVAL_HORIZON_DAYS", "tandem_survival_182d"]

SURVIVAL_HORIZON_DAYS = 182


def tandem_survival_182d(
    outcomes: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Kaplan-Meier estimate that a tandem is still active 182 days after `date(matched_at)`, over matches made in period. `last` = the latest attended meeting date (or `date(matched_at)` if none). A tandem has **ended** when `ended_at` is set or `BT_AS_OF - last > 60 days`; its duration is then `last - date(matched_at)`. Otherwise it is censored with duration `BT_AS_OF - date(matched_at)`. CI: Greenwood, 95%, plain (not log-log). n = matches.

    S(182) is the product over event times t <= 182 of (1 - d/n); a censored duration
    equal to an event time stays in the risk set; every meeting up to `BT_AS_OF` counts;
    CI clipped to [0, 1], S = 0 gives [0, 0]. Segments: all, city=.
    """
    units = in_scope(with_match_city(outcomes, participants), scope, date="matched_date")
    exploded = explode_segments(units, scope, AREA)
    km = kaplan_meier(
        exploded,
        ["funder_id", "segment"],
        SURVIVAL_HORIZON_DAYS,
        duration="duration_days",
        event="ended",
    )
    low, high = greenwood_ci("survival", "variance")
    return (
        fill_segments(km, scope, AREA)
        .with_columns(n=pl.col("n").fill_null(0))
        .with_columns(
            value=pl.when(pl.col("n") > 0).then(pl.col("survival")).cast(pl.Float64),
            ci_low=pl.when(pl.col("n") > 0).then(low).cast(pl.Float64),
            ci_high=pl.when(pl.col("n") > 0).then(high).cast(pl.Float64),
        )
        .select(METRIC_COLUMNS)
    )
