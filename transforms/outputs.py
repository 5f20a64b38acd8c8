"""Output metrics (IOOI level *output*): what the platform did.

Each function returns one row per funder and fixed segment with
``funder_id, segment, family, seg_order, value, n, ci_low, ci_high``. The first paragraph
of each docstring is the metric's definition as METRICS.md states it; the registry
(:mod:`transforms.registry`) reads it from there.
"""

from __future__ import annotations

import polars as pl

from transforms.match_outcomes import first_matches
from transforms.scope import (
    Scope,
    berlin_date,
    in_scope,
    participant_attrs,
    with_age_band,
    with_match_city,
    with_person_city,
)
from transforms.segments import (
    AREA,
    PARTICIPANT,
    finish_count,
    finish_median,
    finish_share,
    per_segment,
)

__all__ = [
    "group_event_visits",
    "match_rate_30d",
    "matches_made",
    "median_days_to_match",
    "participants_matched",
    "registrations",
    "tandem_meetings",
]

_SECONDS_PER_DAY = 86_400


def _scoped_participants(participants: pl.LazyFrame) -> pl.LazyFrame:
    return participants.select(
        "participant_id",
        "city",
        "group",
        pl.col("gender").fill_null("unspecified"),
        "birth_year",
        "registered_at",
        registered_date=berlin_date("registered_at"),
    )


def _matches_in_period(
    matches: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    m = matches.with_columns(matched_date=berlin_date("matched_at"))
    return in_scope(with_match_city(m, participants), scope, date="matched_date")


def registrations(participants: pl.LazyFrame, scope: Scope) -> pl.LazyFrame:
    """Participants with `registered_at` in period. value = n = count.

    A participant is in scope when their `city` is in the funder's cities. Segments:
    all, city=, group=, gender=, age=.
    """
    units = in_scope(_scoped_participants(participants), scope, date="registered_date").pipe(
        with_age_band
    )
    return per_segment(units, scope, PARTICIPANT, n=pl.len()).pipe(finish_count)


def matches_made(matches: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope) -> pl.LazyFrame:
    """Matches with `matched_at` in period. value = n = count.

    A match is in scope when its newcomer's city is; its city is the newcomer's city.
    Segments: all, city=.
    """
    units = _matches_in_period(matches, participants, scope)
    return per_segment(units, scope, AREA, n=pl.len()).pipe(finish_count)


def participants_matched(
    matches: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Distinct participants (either side) of matches made in period.

    Both people of every in-scope match made in period, each counted once per funder and
    segmented by their own city, group, gender and age (a local from an out-of-scope city
    counts in `all` but in no `city=` cell). value = n = count. Segments: all, city=,
    group=, gender=, age=.
    """
    scoped = _matches_in_period(matches, participants, scope)
    people = pl.concat(
        [
            scoped.select("funder_id", "end", participant_id=pl.col("newcomer_id")),
            scoped.select("funder_id", "end", participant_id=pl.col("local_id")),
        ]
    ).unique(subset=["funder_id", "participant_id"])
    units = people.join(participant_attrs(participants), on="participant_id").pipe(with_age_band)
    return per_segment(units, scope, PARTICIPANT, n=pl.len()).pipe(finish_count)


def match_rate_30d(participants: pl.LazyFrame, matches: pl.LazyFrame, scope: Scope) -> pl.LazyFrame:
    """Among participants registered in period with `registered_at <= end - 30 days`: share whose first match has `matched_at - registered_at <= 30 days`. n = that denominator.

    `date(registered_at) <= end - 30`; "matched within 30 days" is exact elapsed time. The
    first match is the earliest by `matched_at` over all the participant's matches (any
    city, ended or not); no match counts as not matched. 95% Wilson CI. Segments: all,
    city=, group=, gender=, age=.
    """
    units = (
        in_scope(_scoped_participants(participants), scope, date="registered_date")
        .filter(pl.col("registered_date") <= pl.col("end") - pl.duration(days=30))
        .join(first_matches(matches), on="participant_id", how="left")
        .with_columns(
            hit=(
                (pl.col("first_matched_at") - pl.col("registered_at")) <= pl.duration(days=30)
            ).fill_null(False)
        )
        .pipe(with_age_band)
    )
    return per_segment(
        units, scope, PARTICIPANT, n=pl.len(), k=pl.col("hit").cast(pl.Int64).sum()
    ).pipe(finish_share)


def median_days_to_match(
    participants: pl.LazyFrame, matches: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Median over participants whose first match has `matched_at` in period of `(matched_at - registered_at)` in days (fractional). n = those participants.

    Participants in scope (own city) whose first match (earliest over all their matches)
    has its Berlin date in period; they need not have registered in period. Days =
    elapsed seconds / 86,400; an even count takes the mean of the two middle values. No CI.
    Segments: all, city=, group=, gender=, age=.
    """
    elapsed = pl.col("first_matched_at") - pl.col("registered_at")
    units = (
        _scoped_participants(participants)
        .join(first_matches(matches), on="participant_id", how="inner")
        .with_columns(first_date=berlin_date("first_matched_at"))
        .pipe(in_scope, scope, date="first_date")
        .with_columns(days=elapsed.dt.total_microseconds() / (_SECONDS_PER_DAY * 1_000_000))
        .pipe(with_age_band)
    )
    return per_segment(units, scope, PARTICIPANT, n=pl.len(), median=pl.col("days").median()).pipe(
        finish_median
    )


def tandem_meetings(
    feedback: pl.LazyFrame, matches: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Distinct `(match_id, event_date)` with an `attended` tandem_meeting row, date in period.

    A `(match, date)` counts once however many rows report it; it takes the match's scope
    and city (its newcomer's city); the match need not be made in period.
    value = n = count. Segments: all, city=.
    """
    meetings = (
        feedback.filter(
            (pl.col("event_kind") == "tandem_meeting")
            & pl.col("attended").fill_null(False)
            & pl.col("match_id").is_not_null()
        )
        .select("match_id", "event_date")
        .unique()
        .join(matches.select("match_id", "newcomer_id"), on="match_id")
    )
    units = in_scope(with_match_city(meetings, participants), scope, date="event_date")
    return per_segment(units, scope, AREA, n=pl.len()).pipe(finish_count)


def group_event_visits(
    feedback: pl.LazyFrame, participants: pl.LazyFrame, scope: Scope
) -> pl.LazyFrame:
    """Distinct `(participant_id, event_id)` with an `attended` group_event row, date in period.

    A `(participant, event)` counts once if any attended row is in period; it takes the
    person's city. value = n = count. Segments: all, city=.
    """
    rows = feedback.filter(
        (pl.col("event_kind") == "group_event") & pl.col("attended").fill_null(False)
    ).select("participant_id", "event_id", "event_date")
    units = in_scope(with_person_city(rows, participants), scope, date="event_date").unique(
        subset=["funder_id", "participant_id", "event_id"]
    )
    return per_segment(units, scope, AREA, n=pl.len()).pipe(finish_count)
