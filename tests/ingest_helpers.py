"""Builders of small hand-written inboxes and a real Dagster ingest run against a tmp warehouse."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

AS_OF = "2026-06-30"

PARTICIPANT = {
    "participant_id": "n1",
    "registered_at": "2026-01-05T10:00:00+01:00",
    "group": "newcomer",
    "city": "Leipzig",
    "district": "Connewitz",
    "postcode": "04277",
    "birth_year": "1990",
    "gender": "female",
    "languages": "ar;en",
    "learning_languages": "de",
    "interests": "cooking;football",
    "availability": "mon_evening;sat_morning",
    "gender_preference": "any",
    "arrival_year": "2022",
    "consent_research": "true",
    "status": "matched",
}
LOCAL = {
    **PARTICIPANT,
    "participant_id": "l1",
    "group": "local",
    "district": "Plagwitz",
    "postcode": "04229",
    "birth_year": "1985",
    "gender": "male",
    "languages": "de;en",
    "learning_languages": "ar",
    "arrival_year": "",
}
MATCH = {
    "match_id": "m1",
    "newcomer_id": "n1",
    "local_id": "l1",
    "matched_at": "2026-01-10T10:00:00Z",
    "ended_at": "",
    "end_reason": "",
}
FEEDBACK = {
    "feedback_id": "f1",
    "participant_id": "n1",
    "event_kind": "tandem_meeting",
    "match_id": "m1",
    "event_id": "",
    "event_date": "2026-01-12",
    "attended": "true",
    "rating": "5",
    "would_meet_again": "true",
    "new_contacts_other_group": "",
    "comment": "Schön war's",
    "submitted_at": "2026-01-12T20:00:00",
}
SURVEY = {
    "participant_id": "n1",
    "wave": "baseline",
    "answered_at": "2026-01-05T10:00:00",
    "belonging": "3",
    "trust_people": "3",
    "outgroup_contact": "1",
    "outgroup_attitude": "50",
    "lonely_1": "2",
    "lonely_2": "2",
    "lonely_3": "2",
    "diversity_acceptance": "4",
}


def write_csv(path: Path, rows: list[dict[str, str]], bom: bool = False) -> Path:
    """Write rows as an RFC 4180 CSV with a header (the union of keys, in first-seen order)."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def base_inbox(inbox: Path) -> Path:
    """A small valid inbox: two people, one match, one feedback row, one survey."""
    inbox.mkdir(parents=True, exist_ok=True)
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL])
    write_csv(inbox / "matches.csv", [MATCH])
    write_csv(inbox / "feedback.csv", [FEEDBACK])
    write_csv(inbox / "surveys.csv", [SURVEY])
    return inbox


@dataclass
class Run:
    """The outcome of one real Dagster materialisation against a tmp warehouse."""

    result: dg.ExecuteInProcessResult
    warehouse: Path

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            con.execute("SET TimeZone = 'UTC'")
            return con.execute(query, params or []).fetchall()

    def count(self, table: str) -> int:
        return self.sql(f"SELECT count(*) FROM {table}")[0][0]

    def reasons(self, feed: str) -> list[str]:
        return [r[0] for r in self.sql(f"SELECT reason FROM quarantine.{feed} ORDER BY ALL")]

    def checks(self) -> dict[str, bool]:
        return {
            f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
            for e in self.result.get_asset_check_evaluations()
        }


def ingest(
    inbox: Path,
    warehouse: Path,
    as_of: str = AS_OF,
    raise_on_error: bool = True,
    great_expectations: bool = True,
) -> Run:
    """Materialise the ingest assets and their checks on ``inbox`` into ``warehouse``.

    Data Docs go to ``reports/`` beside the warehouse (never into the checkout); without
    ``great_expectations`` the GE checks are left out (they are the slow part).
    """
    from pipelines.definitions import INGEST_ASSETS
    from pipelines.defs.ingest.checks import INGEST_CHECKS
    from pipelines.resources import Settings, Warehouse

    checks = [
        c
        for c in INGEST_CHECKS
        if great_expectations or all(k.name != "great_expectations" for k in c.check_keys)
    ]
    result = dg.materialize(
        [*INGEST_ASSETS, *checks],
        resources={
            "settings": Settings(
                inbox=str(inbox), as_of=as_of, reports=str(warehouse.parent / "reports")
            ),
            "warehouse": Warehouse(path=str(warehouse), lock_timeout_s=1),
        },
        raise_on_error=raise_on_error,
    )
    return Run(result, warehouse)
