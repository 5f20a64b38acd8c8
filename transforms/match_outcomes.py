"""Per-match outcomes (``marts.match_outcomes``): the one definition of *sustained* etc.

``d0 = date(matched_at)`` (Europe/Berlin). A *meeting* is a distinct ``event_date`` with an
attended ``tandem_meeting`` feedback row of the match (either partner's row), up to
``BT_AS_OF``. Meetings after ``ended_at`` still count.

* ``first_meeting_28d``: a meeting with ``d0 <= date <= d0 + 28``.
* ``sustained``: meetings with ``d0 <= date <= d0 + 90``: at least 3 distinct dates and
  ``last - first >= 42``. A match younger than 90 days has it computed on the meetings so
  far and ``mature_90d = false`` (``mature_90d``: ``d0 <= BT_AS_OF - 90``).
* ``last = last_meeting_date`` or ``d0`` if none; the tandem has ``ended`` when
  ``ended_at`` is set or ``BT_AS_OF - last > 60`` days (exactly 60 is still censored);
  ``duration_days = last - d0`` if ended (even when ``ended_at`` is set), otherwise
  ``BT_AS_OF - d0`` (censored).

Interpretation: "``ended_at`` is set" means not null, even if ``ended_at`` lies after
``BT_AS_OF`` (the contract does not forbid it).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.scope import as_of_date, berlin_date, ensure_utc

__all__ = ["attended_meetings", "first_matches", "match_outcomes"]

FIRST_MEETING_DAYS = 28
SUSTAINED_WINDOW_DAYS = 90
SUSTAINED_MIN_DATES = 3
SUSTAINED_MIN_SPAN_DAYS = 42
SILENCE_DAYS = 60


def attended_meetings(feedback: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Distinct ``(match_id, event_date)`` with an attended tandem meeting row up to as_of."""
    return (
        feedback.filter(
            (pl.col("event_kind") == "tandem_meeting")
            & pl.col("attended").fill_null(False)
            & pl.col("match_id").is_not_null()
            & (pl.col("event_date") <= pl.lit(as_of, pl.Date))
        )
        .select("match_id", "event_date")
        .unique()
    )


def match_outcomes(
    matches: pl.LazyFrame, feedback: pl.LazyFrame, as_of: dt.date | dt.datetime
) -> pl.LazyFrame:
    """One row per match with its outcome flags (see module docstring).

    Columns: the columns of ``matches`` plus ``matched_date`` (d0), ``first_meeting_date``,
    ``last_meeting_date`` (null when none), ``meetings_90d``, ``first_meeting_28d``,
    ``sustained``, ``mature_28d``, ``mature_90d``, ``ended``, ``censored``,
    ``duration_days``.
    """
    as_of = as_of_date(as_of)
    as_of_lit = pl.lit(as_of, pl.Date)
    base = ensure_utc(matches.lazy()).with_columns(matched_date=berlin_date("matched_at"))
    feedback = feedback.lazy()

    d = pl.col("event_date")
    d0 = pl.col("matched_date")
    in90 = d.is_between(d0, d0 + pl.duration(days=SUSTAINED_WINDOW_DAYS), closed="both")
    in28 = d.is_between(d0, d0 + pl.duration(days=FIRST_MEETING_DAYS), closed="both")
    # attended_meetings has one row per (match, date), so counting the rows in the window
    # counts its distinct dates (a third faster than n_unique at 6 M meetings).
    per_match = (
        base.select("match_id", "matched_date")
        .join(attended_meetings(feedback, as_of), on="match_id", how="inner")
        .group_by("match_id")
        .agg(
            first_meeting_date=d.min(),
            last_meeting_date=d.max(),
            meetings_90d=in90.sum().cast(pl.Int64),
            _first90=d.filter(in90).min(),
            _last90=d.filter(in90).max(),
            first_meeting_28d=in28.any(),
        )
    )
    last = pl.coalesce("last_meeting_date", "matched_date")
    ended = pl.col("ended_at").is_not_null() | ((as_of_lit - last).dt.total_days() > SILENCE_DAYS)
    return (
        base.join(per_match, on="match_id", how="left")
        .with_columns(
            meetings_90d=pl.col("meetings_90d").fill_null(0),
            first_meeting_28d=pl.col("first_meeting_28d").fill_null(False),
            sustained=(
                (pl.col("meetings_90d").fill_null(0) >= SUSTAINED_MIN_DATES)
                & (
                    (pl.col("_last90") - pl.col("_first90")).dt.total_days()
                    >= SUSTAINED_MIN_SPAN_DAYS
                )
            ).fill_null(False),
            mature_28d=d0 <= as_of_lit - pl.duration(days=FIRST_MEETING_DAYS),
            mature_90d=d0 <= as_of_lit - pl.duration(days=SUSTAINED_WINDOW_DAYS),
            ended=ended,
        )
        .with_columns(
            censored=~pl.col("ended"),
            duration_days=pl.when(pl.col("ended"))
            .then((last - d0).dt.total_days())
            .otherwise((as_of_lit - d0).dt.total_days())
            .cast(pl.Int64),
        )
        .drop("_first90", "_last90")
    )


def first_matches(matches: pl.LazyFrame) -> pl.LazyFrame:
    """Each participant's first match: ``participant_id, first_matched_at``.

    Earliest ``matched_at`` over all their matches (either side, any city, ended or not).
    """
    sides = pl.concat(
        [
            matches.select(participant_id=pl.col("newcomer_id"), matched_at=pl.col("matched_at")),
            matches.select(participant_id=pl.col("local_id"), matched_at=pl.col("matched_at")),
        ]
    )
    return sides.group_by("participant_id").agg(first_matched_at=pl.col("matched_at").min())
