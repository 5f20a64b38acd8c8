"""Survey change metrics (consenting participants only): ``delta_<item>_<w>`` and
``improved_belonging_share_<w>`` for the follow-up waves ``3m`` and ``12m``.

The pairs of item ``i`` and wave ``w``: participants in scope (own city) with
``consent_research`` exactly true, with both a ``baseline`` and a ``followup_<w>`` answer,
the follow-up's ``answered_at`` (Berlin date) in period, and ``i`` non-null in both. The
baseline may have any date. ``loneliness = lonely_1 + lonely_2 + lonely_3`` (3 to 9),
defined only when all three are present. Segments: all, city=, group=, gender=, age=.
"""

from __future__ import annotations

import polars as pl

from transforms.scope import Scope, berlin_date, in_scope, participant_attrs, with_age_band
from transforms.segments import PARTICIPANT, finish_mean, finish_share, per_segment
from transforms.stats import exact_mean, exact_sd

__all__ = [
    "SURVEY_ITEMS",
    "WAVES",
    "improved_belonging_share",
    "survey_delta",
    "survey_pairs",
]

SURVEY_ITEMS: dict[str, str] = {
    "belonging": '"I feel I belong in my city", 1-5',
    "trust_people": '"Most people here can be trusted", 1-5',
    "outgroup_contact": (
        "contact with the other group: never, less than monthly, monthly, weekly, daily, 0-4"
    ),
    "outgroup_attitude": "feeling thermometer towards the other group, 0-100",
    "loneliness": (
        "UCLA 3-item loneliness scale, `lonely_1 + lonely_2 + lonely_3`, 3 to 9, "
        "defined only when all three are present"
    ),
    "diversity_acceptance": '"Different cultures enrich my city", 1-5',
}
"""Survey items in METRICS.md order, with what they measure (for definitions)."""

WAVES = ("3m", "12m")


def _item(item: str) -> pl.Expr:
    if item == "loneliness":
        # Null when any of the three is null (null propagates through +).
        return (
            pl.col("lonely_1").cast(pl.Int64)
            + pl.col("lonely_2").cast(pl.Int64)
            + pl.col("lonely_3").cast(pl.Int64)
        )
    if item not in SURVEY_ITEMS:
        raise ValueError(f"unknown survey item {item!r}; expected one of {list(SURVEY_ITEMS)}")
    return pl.col(item).cast(pl.Int64)


def survey_pairs(
    surveys: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope, item: str, wave: str
) -> pl.LazyFrame:
    """The pairs of ``item`` and ``wave`` per funder, with ``diff = follow-up - baseline``."""
    if wave not in WAVES:
        raise ValueError(f"unknown follow-up wave {wave!r}; expected one of {WAVES}")
    value = _item(item)
    baseline = surveys.filter(pl.col("wave") == "baseline").select("participant_id", baseline=value)
    followup = surveys.filter(pl.col("wave") == f"followup_{wave}").select(
        "participant_id", followup=value, answered_date=berlin_date("answered_at")
    )
    consenting = participants.filter(pl.col("consent_research").fill_null(False)).pipe(
        participant_attrs
    )
    pairs = (
        followup.join(baseline, on="participant_id", how="inner")
        .filter(pl.col("baseline").is_not_null() & pl.col("followup").is_not_null())
        .join(consenting, on="participant_id", how="inner")
        .with_columns(diff=(pl.col("followup") - pl.col("baseline")).cast(pl.Float64))
    )
    return in_scope(pairs, scope, date="answered_date").pipe(with_age_band)


def survey_delta(
    surveys: pl.LazyFrame,
    participants: pl.LazyFrame,
    scope: Scope,
    *,
    item: str,
    wave: str,
) -> pl.LazyFrame:
    """Mean of (follow-up - baseline) of <item> over the pairs: consenting participants in scope with both a `baseline` and a `followup_<w>` answer, the follow-up's `answered_at` in period, and the item non-null in both; n = pairs; 95% CI.

    Metric ``delta_<item>_<w>``. 95% t CI (null for n < 2). Segments: all, city=,
    group=, gender=, age=.
    """
    units = survey_pairs(surveys, participants, scope, item, wave)
    return per_segment(
        units,
        scope,
        PARTICIPANT,
        n=pl.len(),
        mean=exact_mean("diff"),
        sd=exact_sd("diff"),
    ).pipe(finish_mean)


def improved_belonging_share(
    surveys: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope, *, wave: str
) -> pl.LazyFrame:
    """Share of the pairs of `delta_belonging_<w>` with follow-up - baseline >= 1 on `belonging`.

    Metric ``improved_belonging_share_<w>``; n = pairs. 95% Wilson CI. Segments: all,
    city=, group=, gender=, age=.
    """
    units = survey_pairs(surveys, participants, scope, "belonging", wave)
    return per_segment(
        units, scope, PARTICIPANT, n=pl.len(), k=(pl.col("diff") >= 1).cast(pl.Int64).sum()
    ).pipe(finish_share)
