"""Builders of small core tables with the exact schemas of docs/warehouse.md, for the tests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

import polars as pl

from transforms import Funder, Scope, impact_metrics

UTC = dt.UTC
TS = pl.Datetime("us", "UTC")

PARTICIPANTS = {
    "participant_id": pl.String,
    "registered_at": TS,
    "group": pl.String,
    "city": pl.String,
    "district": pl.String,
    "postcode": pl.String,
    "birth_year": pl.Int32,
    "gender": pl.String,
    "languages": pl.List(pl.String),
    "learning_languages": pl.List(pl.String),
    "interests": pl.List(pl.String),
    "availability": pl.List(pl.String),
    "gender_preference": pl.String,
    "arrival_year": pl.Int32,
    "consent_research": pl.Boolean,
    "status": pl.String,
}
MATCHES = {
    "match_id": pl.String,
    "newcomer_id": pl.String,
    "local_id": pl.String,
    "matched_at": TS,
    "ended_at": TS,
    "end_reason": pl.String,
}
FEEDBACK = {
    "feedback_id": pl.String,
    "participant_id": pl.String,
    "event_kind": pl.String,
    "match_id": pl.String,
    "event_id": pl.String,
    "event_date": pl.Date,
    "attended": pl.Boolean,
    "rating": pl.Int32,
    "would_meet_again": pl.Boolean,
    "new_contacts_other_group": pl.Int32,
    "comment": pl.String,
    "submitted_at": TS,
}
SURVEY_ITEMS = [
    "belonging",
    "trust_people",
    "outgroup_contact",
    "outgroup_attitude",
    "lonely_1",
    "lonely_2",
    "lonely_3",
    "diversity_acceptance",
]
SURVEYS = {
    "participant_id": pl.String,
    "wave": pl.String,
    "answered_at": TS,
    **{k: pl.Int32 for k in SURVEY_ITEMS},
}
PROPOSALS = {
    "newcomer_id": pl.String,
    "local_id": pl.String,
    "city": pl.String,
    "score": pl.Float64,
    "score_interests": pl.Float64,
    "score_language": pl.Float64,
    "score_availability": pl.Float64,
    "score_district": pl.Float64,
    "score_age": pl.Float64,
    "proposed_at": pl.Date,
}
SCORES = {"match_id": pl.String, "score": pl.Float64}

_ids = itertools.count()


def ts(text: str) -> dt.datetime:
    """``'2026-06-02T23:30Z'`` (or a date ``'2026-06-02'``, noon UTC) as an aware UTC datetime."""
    if "T" not in text:
        text += "T12:00Z"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _frame(rows: Iterable[dict[str, Any]], schema: dict) -> pl.LazyFrame:
    rows = list(rows)
    data = {k: [r.get(k) for r in rows] for k in schema}
    return pl.LazyFrame(data, schema=schema)


def person(
    pid: str,
    city: str = "Leipzig",
    group: str = "newcomer",
    registered_at: str = "2025-12-01T10:00Z",
    birth_year: int | None = 1990,
    gender: str = "female",
    consent: bool | None = True,
    status: str = "matched",
    district: str | None = None,
) -> dict[str, Any]:
    return {
        "participant_id": pid,
        "registered_at": ts(registered_at),
        "group": group,
        "city": city,
        "district": district,
        "birth_year": birth_year,
        "gender": gender,
        "languages": ["de"],
        "learning_languages": [],
        "interests": ["music"],
        "availability": [],
        "gender_preference": "any",
        "consent_research": consent,
        "status": status,
    }


def participants(*rows: dict[str, Any]) -> pl.LazyFrame:
    return _frame(rows, PARTICIPANTS)


def match(
    mid: str, newcomer: str, local: str, matched_at: str, ended_at: str | None = None
) -> dict[str, Any]:
    return {
        "match_id": mid,
        "newcomer_id": newcomer,
        "local_id": local,
        "matched_at": ts(matched_at),
        "ended_at": ts(ended_at) if ended_at else None,
    }


def matches(*rows: dict[str, Any]) -> pl.LazyFrame:
    return _frame(rows, MATCHES)


def meeting(
    pid: str,
    mid: str,
    date: str,
    attended: bool = True,
    rating: int | None = None,
    would_meet_again: bool | None = None,
) -> dict[str, Any]:
    return {
        "feedback_id": f"fb{next(_ids)}",
        "participant_id": pid,
        "event_kind": "tandem_meeting",
        "match_id": mid,
        "event_date": d(date),
        "attended": attended,
        "rating": rating,
        "would_meet_again": would_meet_again,
        "submitted_at": ts(date),
    }


def event(
    pid: str,
    eid: str,
    date: str,
    attended: bool = True,
    rating: int | None = None,
    contacts: int | None = None,
) -> dict[str, Any]:
    return {
        "feedback_id": f"fb{next(_ids)}",
        "participant_id": pid,
        "event_kind": "group_event",
        "event_id": eid,
        "event_date": d(date),
        "attended": attended,
        "rating": rating,
        "new_contacts_other_group": contacts,
        "submitted_at": ts(date),
    }


def feedback(*rows: dict[str, Any]) -> pl.LazyFrame:
    return _frame(rows, FEEDBACK)


def answer(pid: str, wave: str, answered_at: str, **items: int | None) -> dict[str, Any]:
    return {"participant_id": pid, "wave": wave, "answered_at": ts(answered_at), **items}


def surveys(*rows: dict[str, Any]) -> pl.LazyFrame:
    return _frame(rows, SURVEYS)


def proposal(newcomer: str, local: str, city: str, score: float) -> dict[str, Any]:
    return {"newcomer_id": newcomer, "local_id": local, "city": city, "score": score}


def proposals(*rows: dict[str, Any]) -> pl.LazyFrame:
    return _frame(rows, PROPOSALS)


def scores(mapping: dict[str, float]) -> pl.LazyFrame:
    return pl.LazyFrame({"match_id": list(mapping), "score": list(mapping.values())}, schema=SCORES)


FUNDER = Funder(
    id="f1",
    name="Funder One",
    cities=("Leipzig", "Dresden"),
    period_start=dt.date(2026, 1, 1),
    period_end=dt.date(2026, 6, 30),
    language="en",
)
AS_OF = dt.date(2026, 12, 31)


def scope(*funders: Funder, as_of: dt.date = AS_OF) -> Scope:
    return Scope.of(funders or (FUNDER,), as_of)


def cells(frame: pl.LazyFrame) -> dict[str, dict[str, Any]]:
    """A metric function's result for one funder, keyed by segment."""
    df = frame.collect()
    assert df["funder_id"].n_unique() <= 1
    return {r["segment"]: r for r in df.iter_rows(named=True)}


def run(
    *,
    participants: pl.LazyFrame | None = None,
    matches: pl.LazyFrame | None = None,
    feedback: pl.LazyFrame | None = None,
    surveys: pl.LazyFrame | None = None,
    proposals: pl.LazyFrame | None = None,
    match_scores: pl.LazyFrame | None = None,
    funders: tuple[Funder, ...] = (FUNDER,),
    as_of: dt.date = AS_OF,
) -> pl.DataFrame:
    """``impact_metrics`` on the given tables (missing ones empty), collected."""
    return impact_metrics(
        participants if participants is not None else _frame([], PARTICIPANTS),
        matches if matches is not None else _frame([], MATCHES),
        feedback if feedback is not None else _frame([], FEEDBACK),
        surveys if surveys is not None else _frame([], SURVEYS),
        proposals if proposals is not None else _frame([], PROPOSALS),
        match_scores if match_scores is not None else _frame([], SCORES),
        funders,
        as_of,
    ).collect()


def pick(df: pl.DataFrame, metric_id: str, funder_id: str = "f1") -> dict[str, dict[str, Any]]:
    """The cells of one metric and funder from an ``impact_metrics`` result, by segment."""
    sub = df.filter((pl.col("metric_id") == metric_id) & (pl.col("funder_id") == funder_id))
    return {r["segment"]: r for r in sub.iter_rows(named=True)}
