"""Matching-quality metrics: how good the matching itself is. Segments: all, city=.

``proposal_coverage`` and ``mean_proposal_score`` are snapshots at ``BT_AS_OF`` with no
period filter (``marts.match_proposals`` holds only the proposals of this run).
``score_auc_sustained`` takes ``match_scores`` (``match_id, score``): the MATCHING.md score
of each existing match on the two current registration profiles, default weights, no
eligibility rules, computed upstream by ``matching_core``.
"""

from __future__ import annotations

import polars as pl

from transforms.outcomes import matured_matches
from transforms.scope import Scope, in_scope
from transforms.segments import (
    AREA,
    METRIC_COLUMNS,
    explode_segments,
    fill_segments,
    finish_mean,
    finish_share,
    per_segment,
)
from transforms.stats import auc, exact_mean, exact_sd

#: Scores are averaged in fixed point (1e-12), exactly and in any row order.
SCORE_SCALE = 10**12

__all__ = ["mean_proposal_score", "proposal_coverage", "score_auc_sustained", "waiting"]


def waiting(participants: pl.LazyFrame, matches: pl.LazyFrame) -> pl.LazyFrame:
    """Participants waiting at ``BT_AS_OF``: status ``waiting`` and no match without ``ended_at``."""
    open_matches = matches.filter(pl.col("ended_at").is_null())
    busy = pl.concat(
        [
            open_matches.select(participant_id=pl.col("newcomer_id")),
            open_matches.select(participant_id=pl.col("local_id")),
        ]
    ).unique()
    return participants.filter(pl.col("status") == "waiting").join(
        busy, on="participant_id", how="anti"
    )


def proposal_coverage(
    participants: pl.LazyFrame, matches: pl.LazyFrame, proposals: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Among participants in scope who are waiting at `BT_AS_OF` (status `waiting`, no match without `ended_at`): share that appear in `marts.match_proposals`.

    Snapshot at `BT_AS_OF`, no period filter, the person's own city; appearing means being
    the newcomer or the local of a proposal. 95% Wilson CI. Segments: all, city= only.
    """
    proposed = (
        pl.concat(
            [
                proposals.select(participant_id=pl.col("newcomer_id")),
                proposals.select(participant_id=pl.col("local_id")),
            ]
        )
        .unique()
        .with_columns(proposed=pl.lit(True))
    )
    units = (
        waiting(participants, matches)
        .select("participant_id", "city")
        .join(proposed, on="participant_id", how="left")
        .with_columns(proposed=pl.col("proposed").fill_null(False))
        .pipe(in_scope, scope, date=None)
    )
    return per_segment(
        units, scope, AREA, n=pl.len(), k=pl.col("proposed").cast(pl.Int64).sum()
    ).pipe(finish_share)


def mean_proposal_score(
    proposals: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Mean `score` of proposals whose newcomer is in scope.

    The newcomer's city (from the registrations; the proposal's own `city` if the
    newcomer is unknown) decides scope and `city=` cell; no period filter; n = proposals.
    95% t CI. Segments: all, city=.
    """
    cities = participants.select(newcomer_id=pl.col("participant_id"), _city=pl.col("city"))
    units = (
        proposals.select("newcomer_id", "score", proposal_city=pl.col("city"))
        .join(cities, on="newcomer_id", how="left")
        .with_columns(city=pl.coalesce("_city", "proposal_city"))
        .pipe(in_scope, scope, date=None)
    )
    return per_segment(
        units,
        scope,
        AREA,
        n=pl.len(),
        mean=exact_mean("score", SCORE_SCALE),
        sd=exact_sd("score", SCORE_SCALE),
    ).pipe(finish_mean)


def score_auc_sustained(
    outcomes: pl.LazyFrame,
    match_scores: pl.LazyFrame,
    participants: pl.LazyFrame,
    scope: Scope,
) -> pl.LazyFrame:
    """ROC AUC of the matching score (MATCHING.md, computed on the two registration profiles) for predicting `sustained`, over the matches that `sustained_rate` counts; ties count one half.

    Scores are rounded to 12 decimals before ranking (so 0.375 and 0.37500000000000006
    tie); only one class present gives null; n = matches (with a score); no CI.
    Segments: all, city=.
    """
    units = matured_matches(outcomes, participants, scope, 90).join(
        match_scores.select("match_id", "score").filter(pl.col("score").is_not_null()),
        on="match_id",
        how="inner",
    )
    per_cell = auc(
        explode_segments(units, scope, AREA),
        ["funder_id", "segment"],
        score="score",
        label="sustained",
    )
    return (
        fill_segments(per_cell, scope, AREA)
        .with_columns(
            n=pl.col("n").fill_null(0).cast(pl.Int64),
            value=pl.col("auc").cast(pl.Float64),
            ci_low=pl.lit(None, pl.Float64),
            ci_high=pl.lit(None, pl.Float64),
        )
        .select(METRIC_COLUMNS)
    )
