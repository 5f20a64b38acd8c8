"""``marts.impact_metrics``: every metric x every funder x every fixed segment.

One lazy plan: each metric of :data:`transforms.registry.METRICS` is computed for all
funders at once (vectorised over the ``(funder_id, city)`` scope table), the results are
stacked, and disclosure control is applied per funder, metric and segment family.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from transforms.match_outcomes import match_outcomes
from transforms.registry import METRICS
from transforms.scope import Funder, Scope, ensure_utc
from transforms.segments import PARTICIPANT, segment_list, suppress

__all__ = ["IMPACT_METRICS_SCHEMA", "canonical_order", "impact_metrics"]

IMPACT_METRICS_SCHEMA = pl.Schema(
    {
        "funder_id": pl.String,
        "metric_id": pl.String,
        "segment": pl.String,
        "value": pl.Float64,
        "n": pl.Int64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "suppressed": pl.Boolean,
    }
)

_EMPTY_PROPOSALS = {
    "newcomer_id": pl.String,
    "local_id": pl.String,
    "city": pl.String,
    "score": pl.Float64,
}
_EMPTY_SCORES = {"match_id": pl.String, "score": pl.Float64}


def _lazy(frame: pl.LazyFrame | pl.DataFrame | None, empty: dict) -> pl.LazyFrame:
    if frame is None:
        return pl.LazyFrame(schema=empty)
    return ensure_utc(frame.lazy())


def impact_metrics(
    participants: pl.LazyFrame,
    matches: pl.LazyFrame,
    feedback: pl.LazyFrame,
    surveys: pl.LazyFrame,
    proposals: pl.LazyFrame | None,
    match_scores: pl.LazyFrame | None,
    funders: Sequence[Funder],
    as_of: dt.date | dt.datetime,
) -> pl.LazyFrame:
    """Rows of ``marts.impact_metrics`` for ``funders`` at ``as_of`` (``BT_AS_OF``).

    Inputs are the core tables (``core.participants``, ``core.matches``,
    ``core.feedback``, ``core.surveys``), ``marts.match_proposals`` and ``match_scores``
    (``match_id, score``). Columns: ``funder_id, metric_id, segment, value (Float64),
    n (Int64), ci_low, ci_high (Float64), suppressed (Boolean)``, ordered by funder (as
    given), metric (METRICS.md order) and segment (fixed order).
    """
    scope = Scope.of(tuple(funders), as_of)
    if not scope.funders:
        return pl.LazyFrame(schema=IMPACT_METRICS_SCHEMA)
    participants = ensure_utc(participants.lazy())
    matches = ensure_utc(matches.lazy())
    feedback = ensure_utc(feedback.lazy())
    tables = {
        "participants": participants,
        "matches": matches,
        "feedback": feedback,
        "surveys": ensure_utc(surveys.lazy()),
        "proposals": _lazy(proposals, _EMPTY_PROPOSALS),
        "match_scores": _lazy(match_scores, _EMPTY_SCORES),
        "outcomes": match_outcomes(matches, feedback, scope.as_of),
        "scope": scope,
    }
    frames = [
        metric.compute(tables).with_columns(
            metric_id=pl.lit(metric_id), _metric_order=pl.lit(i, pl.Int64)
        )
        for i, (metric_id, metric) in enumerate(METRICS.items())
    ]
    funder_order = pl.LazyFrame(
        {"funder_id": [f.id for f in scope.funders], "_funder_order": range(len(scope.funders))},
        schema={"funder_id": pl.String, "_funder_order": pl.Int64},
    ).unique(subset="funder_id", keep="first")
    return (
        pl.concat(frames, how="vertical")
        .pipe(suppress)
        .join(funder_order, on="funder_id", how="left")
        .sort("_funder_order", "_metric_order", "seg_order")
        .select([pl.col(name).cast(dtype) for name, dtype in IMPACT_METRICS_SCHEMA.items()])
    )


def canonical_order(
    metrics: pl.LazyFrame, funders: Sequence[Funder], as_of: dt.date | dt.datetime
) -> pl.LazyFrame:
    """``marts.impact_metrics`` rows in report order: funder (as given), metric, segment.

    A table read back from the warehouse has no order of its own; reports and CSVs use this
    one so that the same figures always come out in the same rows.
    """
    scope = Scope.of(tuple(funders), as_of)
    metric_order = pl.LazyFrame(
        {"metric_id": list(METRICS), "_metric_order": range(len(METRICS))},
        schema={"metric_id": pl.String, "_metric_order": pl.Int64},
    )
    funder_order = pl.LazyFrame(
        {"funder_id": [f.id for f in scope.funders], "_funder_order": range(len(scope.funders))},
        schema={"funder_id": pl.String, "_funder_order": pl.Int64},
    ).unique(subset="funder_id", keep="first")
    segments = segment_list(scope, PARTICIPANT).select("funder_id", "segment", "seg_order")
    return (
        metrics.lazy()
        .join(funder_order, on="funder_id", how="left")
        .join(metric_order, on="metric_id", how="left")
        .join(segments, on=["funder_id", "segment"], how="left")
        .sort("_funder_order", "_metric_order", "seg_order", "segment", nulls_last=True)
        .drop("_funder_order", "_metric_order", "seg_order")
    )
