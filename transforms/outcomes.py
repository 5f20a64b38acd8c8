"""Outcome metrics (IOOI level *outcome*): what changed for the tandems and participants.

``first_meeting_rate`` and ``sustained_rate`` read the flags of
:func:`transforms.match_outcomes.match_outcomes`, the one definition of those terms.
Rows over matches take the match's scope and city (its newcomer's); rows of feedback of
one person take that person's city. Segments: all, city=.
"""

from __future__ import annotations

import polars as pl

from transforms.scope import Scope, in_scope, with_match_city, with_person_city
from transforms.segments import AREA, finish_count, finish_mean, finish_share, per_segment
from transforms.stats import exact_mean, exact_sd

__all__ = [
    "cross_group_ties",
    "first_meeting_rate",
    "matured_matches",
    "mean_rating",
    "sustained_rate",
    "would_meet_again_share",
]


def matured_matches(
    outcomes: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope, days: int
) -> pl.LazyFrame:
    """Matches made in period (newcomer's city in scope) with ``date(matched_at) <= end - days``."""
    return in_scope(with_match_city(outcomes, participants), scope, date="matched_date").filter(
        pl.col("matched_date") <= pl.col("end") - pl.duration(days=days)
    )


def first_meeting_rate(
    outcomes: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Among matches made in period with `date(matched_at) <= end - 28 days`: share with an attended tandem meeting no later than 28 days after `date(matched_at)`.

    The meeting (either partner's row) has `d0 <= event_date <= d0 + 28`, both ends
    included; it need not be in period. 95% Wilson CI. Segments: all, city=.
    """
    units = matured_matches(outcomes, participants, scope, 28)
    return per_segment(
        units, scope, AREA, n=pl.len(), k=pl.col("first_meeting_28d").cast(pl.Int64).sum()
    ).pipe(finish_share)


def sustained_rate(
    outcomes: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Among matches made in period with `date(matched_at) <= end - 90 days`: share that are **sustained**: within the 90 days after `date(matched_at)` the pair met (attended by at least one of them) on at least 3 distinct dates, the first and the last at least 42 days apart.

    Window `d0 <= event_date <= d0 + 90`, both included; `last - first >= 42`.
    95% Wilson CI. Segments: all, city=.
    """
    units = matured_matches(outcomes, participants, scope, 90)
    return per_segment(
        units, scope, AREA, n=pl.len(), k=pl.col("sustained").cast(pl.Int64).sum()
    ).pipe(finish_share)


def mean_rating(feedback: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope) -> pl.LazyFrame:
    """Mean `rating` of feedback rows (both kinds) with date in period; n = rated rows; CI below.

    Every row with a non-null rating counts, attended or not; a row takes its writer's
    city. 95% t CI. Segments: all, city=.
    """
    rows = feedback.filter(pl.col("rating").is_not_null()).select(
        "participant_id", "event_date", rating=pl.col("rating").cast(pl.Float64)
    )
    units = in_scope(with_person_city(rows, participants), scope, date="event_date")
    return per_segment(
        units,
        scope,
        AREA,
        n=pl.len(),
        mean=exact_mean("rating"),
        sd=exact_sd("rating"),
    ).pipe(finish_mean)


def would_meet_again_share(
    feedback: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Share of `true` among non-null `would_meet_again` of tandem_meeting rows with date in period.

    Every row with a non-null answer counts, attended or not; a row takes its writer's
    city; n = non-null answers. 95% Wilson CI. Segments: all, city=.
    """
    rows = feedback.filter(
        (pl.col("event_kind") == "tandem_meeting") & pl.col("would_meet_again").is_not_null()
    ).select("participant_id", "event_date", "would_meet_again")
    units = in_scope(with_person_city(rows, participants), scope, date="event_date")
    return per_segment(
        units, scope, AREA, n=pl.len(), k=pl.col("would_meet_again").cast(pl.Int64).sum()
    ).pipe(finish_share)


def cross_group_ties(
    feedback: pl.LazyFrame, matches: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Distinct matches with an attended tandem meeting in period, plus the sum of `new_contacts_other_group` of attended group_event rows in period. n = distinct participants behind those rows.

    The tandem part takes the match's scope and city (a match made before the period
    counts if it met in period); the group-event part takes the writer's city; a null
    `new_contacts_other_group` adds 0. n is the distinct writers of all counted rows, so
    unlike the plain counts value != n. No CI. Segments: all, city=.
    """
    attended = pl.col("attended").fill_null(False)
    tandem = (
        feedback.filter(
            (pl.col("event_kind") == "tandem_meeting") & attended & pl.col("match_id").is_not_null()
        )
        .select("participant_id", "match_id", "event_date")
        .join(matches.select("match_id", "newcomer_id"), on="match_id")
        .pipe(with_match_city, participants)
        .select("participant_id", "match_id", "event_date", "city", contacts=pl.lit(0, pl.Int64))
    )
    group = (
        feedback.filter((pl.col("event_kind") == "group_event") & attended)
        .pipe(with_person_city, participants)
        .select(
            "participant_id",
            pl.lit(None, pl.String).alias("match_id"),
            "event_date",
            "city",
            contacts=pl.col("new_contacts_other_group").fill_null(0).cast(pl.Int64),
        )
    )
    units = in_scope(pl.concat([tandem, group]), scope, date="event_date")
    return per_segment(
        units,
        scope,
        AREA,
        n=pl.col("participant_id").n_unique(),
        value=pl.col("match_id").drop_nulls().n_unique() + pl.col("contacts").sum(),
    ).pipe(finish_count, value="value")
