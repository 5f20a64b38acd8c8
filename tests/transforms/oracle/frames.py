"""A tiny builder of core tables (docs/warehouse.md) for hand-made adversarial cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

TS = pl.Datetime("us", "UTC")
SCHEMAS: dict[str, dict[str, Any]] = {
    "participants": {
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
    },
    "matches": {
        "match_id": pl.String,
        "newcomer_id": pl.String,
        "local_id": pl.String,
        "matched_at": TS,
        "ended_at": TS,
        "end_reason": pl.String,
    },
    "feedback": {
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
    },
    "surveys": {
        "participant_id": pl.String,
        "wave": pl.String,
        "answered_at": TS,
        "belonging": pl.Int32,
        "trust_people": pl.Int32,
        "outgroup_contact": pl.Int32,
        "outgroup_attitude": pl.Int32,
        "lonely_1": pl.Int32,
        "lonely_2": pl.Int32,
        "lonely_3": pl.Int32,
        "diversity_acceptance": pl.Int32,
    },
    "proposals": {
        "newcomer_id": pl.String,
        "local_id": pl.String,
        "city": pl.String,
        "score": pl.Float64,
    },
    "match_scores": {"match_id": pl.String, "score": pl.Float64},
}


def ts(text: str) -> dt.datetime:
    """An ISO instant; ``Z`` or an offset is required."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class World:
    """Accumulates rows; ``frames()`` gives the core tables as Polars frames."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {k: [] for k in SCHEMAS}
        self._fb = 0

    def person(
        self,
        pid: str,
        *,
        city: str = "Leipzig",
        group: str = "newcomer",
        registered_at: str = "2026-01-05T10:00:00Z",
        birth_year: int | None = 1990,
        gender: str = "female",
        consent: bool = True,
        status: str = "matched",
        district: str | None = None,
        interests=("cooking",),
        languages=("de",),
        learning=(),
        availability=(),
    ) -> str:
        self.rows["participants"].append(
            {
                "participant_id": pid,
                "registered_at": ts(registered_at),
                "group": group,
                "city": city,
                "district": district,
                "postcode": None,
                "birth_year": birth_year,
                "gender": gender,
                "languages": list(languages),
                "learning_languages": list(learning),
                "interests": list(interests),
                "availability": list(availability),
                "gender_preference": "any",
                "arrival_year": None,
                "consent_research": consent,
                "status": status,
            }
        )
        return pid

    def match(
        self, mid: str, newcomer: str, local: str, matched_at: str, ended_at: str | None = None
    ) -> str:
        self.rows["matches"].append(
            {
                "match_id": mid,
                "newcomer_id": newcomer,
                "local_id": local,
                "matched_at": ts(matched_at),
                "ended_at": ts(ended_at) if ended_at else None,
                "end_reason": "other" if ended_at else None,
            }
        )
        return mid

    def meet(
        self,
        mid: str,
        pid: str,
        date: str | dt.date,
        *,
        attended: bool = True,
        rating: int | None = None,
        again: bool | None = None,
    ) -> None:
        self._fb += 1
        date = d(date) if isinstance(date, str) else date
        self.rows["feedback"].append(
            {
                "feedback_id": f"f{self._fb}",
                "participant_id": pid,
                "event_kind": "tandem_meeting",
                "match_id": mid,
                "event_id": None,
                "event_date": date,
                "attended": attended,
                "rating": rating,
                "would_meet_again": again,
                "new_contacts_other_group": None,
                "comment": None,
                "submitted_at": dt.datetime.combine(date, dt.time(20), dt.UTC),
            }
        )

    def event(
        self,
        pid: str,
        event_id: str,
        date: str | dt.date,
        *,
        attended: bool = True,
        rating: int | None = None,
        contacts: int | None = None,
        again: bool | None = None,
    ) -> None:
        self._fb += 1
        date = d(date) if isinstance(date, str) else date
        self.rows["feedback"].append(
            {
                "feedback_id": f"f{self._fb}",
                "participant_id": pid,
                "event_kind": "group_event",
                "match_id": None,
                "event_id": event_id,
                "event_date": date,
                "attended": attended,
                "rating": rating,
                "would_meet_again": again,
                "new_contacts_other_group": contacts,
                "comment": None,
                "submitted_at": dt.datetime.combine(date, dt.time(20), dt.UTC),
            }
        )

    def survey(self, pid: str, wave: str, answered_at: str, **items: int | None) -> None:
        row = {"participant_id": pid, "wave": wave, "answered_at": ts(answered_at)}
        for k in SCHEMAS["surveys"]:
            if k not in row:
                row[k] = items.get(k, 3 if k != "outgroup_attitude" else 50)
        self.rows["surveys"].append(row)

    def proposal(self, newcomer: str, local: str, city: str, score: float) -> None:
        self.rows["proposals"].append(
            {"newcomer_id": newcomer, "local_id": local, "city": city, "score": score}
        )

    def score(self, mid: str, value: float) -> None:
        self.rows["match_scores"].append({"match_id": mid, "score": value})

    def frame(self, name: str) -> pl.DataFrame:
        return pl.DataFrame(self.rows[name], schema=SCHEMAS[name])

    def frames(self) -> dict[str, pl.DataFrame]:
        return {k: self.frame(k) for k in ("participants", "matches", "feedback", "surveys")}
