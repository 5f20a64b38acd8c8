"""Every contract rule: one bad row lands in quarantine with its reason, the good rows in core.

Each feed's bad rows share one inbox and one real Dagster run (module-scoped, for speed);
each case is still its own test, looking up its row by source row number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import (
    FEEDBACK,
    LOCAL,
    MATCH,
    PARTICIPANT,
    SURVEY,
    Run,
    base_inbox,
    ingest,
    write_csv,
)

# (feed, overrides of the base row, expected reason). Each row breaks exactly one rule.
REGISTRATION_CASES = [
    ({"participant_id": ""}, "participant_id: required"),
    ({"participant_id": "has space"}, "participant_id: must be 1-64 characters"),
    ({"participant_id": "x" * 65}, "participant_id: must be 1-64 characters"),
    ({"registered_at": ""}, "registered_at: required"),
    ({"registered_at": "yesterday"}, "registered_at: not an ISO 8601 timestamp"),
    ({"registered_at": "2026-07-01T08:00:00+02:00"}, "registered_at: after BT_AS_OF"),
    ({"group": ""}, "group: required"),
    ({"group": "tourist"}, "group: not one of newcomer, local"),
    ({"city": ""}, "city: required"),
    ({"city": "   "}, "city: required"),
    ({"city": "\t \u00a0"}, "city: required"),  # tab, space, no-break space
    ({"postcode": "0427"}, "postcode: must be exactly 5 digits"),
    ({"postcode": "04277a"}, "postcode: must be exactly 5 digits"),
    ({"birth_year": "1909"}, "birth_year: outside 1910 to 2012"),
    ({"birth_year": "2013"}, "birth_year: outside 1910 to 2012"),
    ({"birth_year": "4.5"}, "birth_year: not an integer"),
    ({"birth_year": "19x0"}, "birth_year: not an integer"),
    ({"gender": "other"}, "gender: not one of"),
    ({"languages": ""}, "languages: required, at least one"),
    ({"languages": "ar;xx"}, "languages: not an ISO 639-1 code"),
    ({"learning_languages": "deu"}, "learning_languages: not an ISO 639-1 code"),
    ({"interests": ""}, "interests: required, at least one"),
    ({"interests": "cooking;knitting"}, "interests: not a known interest slug"),
    ({"availability": "mon_night"}, "availability: not a slot"),
    ({"gender_preference": "opposite"}, "gender_preference: not one of any, same"),
    ({"arrival_year": "2020.0"}, "arrival_year: not an integer"),
    ({"arrival_year": "2147483648"}, "arrival_year: not an integer"),  # beyond INTEGER
    ({"consent_research": ""}, "consent_research: required"),
    ({"consent_research": "maybe"}, "consent_research: not a boolean"),
    ({"status": "gone"}, "status: not one of waiting, matched, paused, left"),
    ({"group": "lоcal"}, "group: not one of newcomer, local"),  # Cyrillic о
    # Case variants are ASCII ones: a letter that lower-cases to an ASCII one is a look-alike
    ({"status": "waİting"}, "status: not one of waiting, matched, paused, left"),  # U+0130
    ({"languages": "ar;İt"}, "languages: not an ISO 639-1 code"),
    ({"languages": "\u212ao"}, "languages: not an ISO 639-1 code"),  # Kelvin sign
    ({"interests": "coo\u212aing"}, "interests: not a known interest slug"),  # Kelvin sign
]


def _run_cases(tmp: Path, file: str, good: list[dict], base: dict, id_col: str, cases: list) -> Run:
    """One inbox whose ``file`` holds the good rows, then one bad row per case."""
    inbox = base_inbox(tmp / "inbox")
    bad = [{**base, id_col: f"bad{i}", **overrides} for i, (overrides, _) in enumerate(cases)]
    write_csv(inbox / file, [*good, *bad])
    return ingest(inbox, tmp / "warehouse.duckdb")


def _reason_of_row(run: Run, feed: str, row: int) -> list[str]:
    return [
        r[0] for r in run.sql(f"SELECT reason FROM quarantine.{feed} WHERE _source_row = ?", [row])
    ]


@pytest.fixture(scope="module")
def registrations_run(tmp_path_factory) -> Run:
    return _run_cases(
        tmp_path_factory.mktemp("reg"),
        "registrations.csv",
        [PARTICIPANT, LOCAL],
        PARTICIPANT,
        "participant_id",
        REGISTRATION_CASES,
    )


@pytest.mark.parametrize("case", range(len(REGISTRATION_CASES)))
def test_registration_rule(registrations_run: Run, case: int) -> None:
    reason = REGISTRATION_CASES[case][1]
    reasons = _reason_of_row(registrations_run, "registrations", 3 + case)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_registrations_good_rows_and_checks(registrations_run: Run) -> None:
    assert registrations_run.count("core.participants") == 2
    assert registrations_run.count("quarantine.registrations") == len(REGISTRATION_CASES)
    assert all(registrations_run.checks().values()), registrations_run.checks()


MATCH_CASES = [
    ({"match_id": ""}, "match_id: required"),
    ({"match_id": "   "}, "match_id: required"),
    ({"newcomer_id": ""}, "newcomer_id: required"),
    ({"newcomer_id": "nobody"}, "newcomer_id: not a registered participant"),
    (
        {"newcomer_id": "l1", "local_id": "l1"},
        "newcomer_id: registered participant is not a newcomer",
    ),
    ({"local_id": "nobody"}, "local_id: not a registered participant"),
    ({"local_id": "n1", "newcomer_id": "n1"}, "local_id: registered participant is not a local"),
    ({"matched_at": ""}, "matched_at: required"),
    ({"matched_at": "10.01.2026"}, "matched_at: not an ISO 8601 timestamp"),
    ({"matched_at": "2026-01-05T08:59:59Z"}, "matched_at: before a registration of the pair"),
    ({"matched_at": "2026-07-01T00:30:00+02:00"}, "matched_at: after BT_AS_OF"),
    ({"ended_at": "2026-01-09T00:00:00Z"}, "ended_at: before matched_at"),
    ({"ended_at": "soon"}, "ended_at: not an ISO 8601 timestamp"),
    ({"end_reason": "bored"}, "end_reason: not one of"),
]


@pytest.fixture(scope="module")
def matches_run(tmp_path_factory) -> Run:
    return _run_cases(
        tmp_path_factory.mktemp("mat"), "matches.csv", [MATCH], MATCH, "match_id", MATCH_CASES
    )


@pytest.mark.parametrize("case", range(len(MATCH_CASES)))
def test_match_rule(matches_run: Run, case: int) -> None:
    reason = MATCH_CASES[case][1]
    reasons = _reason_of_row(matches_run, "matches", 2 + case)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_matches_good_rows(matches_run: Run) -> None:
    assert matches_run.sql("SELECT match_id FROM core.matches") == [("m1",)]


GROUP_EVENT = {
    **FEEDBACK,
    "event_kind": "group_event",
    "match_id": "",
    "event_id": "ev-1",
    "new_contacts_other_group": "3",
}

FEEDBACK_CASES = [
    ({"feedback_id": ""}, "feedback_id: required"),
    ({"feedback_id": "  "}, "feedback_id: required"),
    ({"participant_id": ""}, "participant_id: required"),
    ({"participant_id": "ghost"}, "participant_id: not a registered participant"),
    ({"event_kind": ""}, "event_kind: required"),
    ({"event_kind": "party"}, "event_kind: not one of tandem_meeting, group_event"),
    ({"match_id": ""}, "match_id: required for a tandem_meeting"),
    ({"match_id": "m404"}, "match_id: not a known match"),
    ({"event_date": ""}, "event_date: required"),
    ({"event_date": "2026-02-30"}, "event_date: not an ISO 8601 date"),
    ({"event_date": "2026-01-09"}, "event_date: before the match's matched_at"),
    ({"event_date": "2026-07-01"}, "event_date: after BT_AS_OF"),
    ({"attended": ""}, "attended: required"),
    ({"attended": "sometimes"}, "attended: not a boolean"),
    ({"rating": "6"}, "rating: not an integer 1-5"),
    ({"rating": "0"}, "rating: not an integer 1-5"),
    ({"rating": "4.5"}, "rating: not an integer 1-5"),
    ({"would_meet_again": "perhaps"}, "would_meet_again: not a boolean"),
    ({"new_contacts_other_group": "51"}, "new_contacts_other_group: not an integer 0-50"),
    ({"new_contacts_other_group": "-1"}, "new_contacts_other_group: not an integer 0-50"),
    ({"comment": "x" * 2001}, "comment: longer than 2000 characters"),
    ({"submitted_at": ""}, "submitted_at: required"),
    ({"submitted_at": "12/01/2026"}, "submitted_at: not an ISO 8601 timestamp"),
]


@pytest.fixture(scope="module")
def feedback_run(tmp_path_factory) -> Run:
    return _run_cases(
        tmp_path_factory.mktemp("fb"),
        "feedback.csv",
        [FEEDBACK],
        FEEDBACK,
        "feedback_id",
        FEEDBACK_CASES,
    )


@pytest.mark.parametrize("case", range(len(FEEDBACK_CASES)))
def test_feedback_rule(feedback_run: Run, case: int) -> None:
    reason = FEEDBACK_CASES[case][1]
    reasons = _reason_of_row(feedback_run, "feedback", 2 + case)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_feedback_good_rows(feedback_run: Run) -> None:
    assert feedback_run.sql("SELECT feedback_id FROM core.feedback") == [("f1",)]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"match_id": "m1"}, "match_id: must be empty for a group_event"),
        ({"event_id": ""}, "event_id: required for a group_event"),
    ],
)
def test_group_event_rule(tmp_path: Path, run_ingest, overrides, reason) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(
        inbox / "feedback.csv", [GROUP_EVENT, {**GROUP_EVENT, "feedback_id": "f9", **overrides}]
    )
    run = run_ingest(inbox)
    assert [r.split(";")[0] for r in run.reasons("feedback")] == [reason]


def test_participant_not_in_match(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    third = {**LOCAL, "participant_id": "l2"}
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, third])
    write_csv(inbox / "feedback.csv", [{**FEEDBACK, "participant_id": "l2"}])
    run = run_ingest(inbox)
    assert run.reasons("feedback") == ["participant_id: not one of the match's two people"]


SURVEY_CASES = [
    ({"participant_id": ""}, "participant_id: required"),
    ({"participant_id": "ghost"}, "participant_id: not a registered participant"),
    ({"wave": ""}, "wave: required"),
    ({"wave": "followup_6m"}, "wave: not one of baseline, followup_3m, followup_12m"),
    ({"answered_at": ""}, "answered_at: required"),
    ({"answered_at": "2026-13-01T00:00:00"}, "answered_at: not an ISO 8601 timestamp"),
    ({"belonging": "7"}, "belonging: not an integer 1-5"),
    ({"trust_people": "0"}, "trust_people: not an integer 1-5"),
    ({"outgroup_contact": "5"}, "outgroup_contact: not an integer 0-4"),
    ({"outgroup_attitude": "101"}, "outgroup_attitude: not an integer 0-100"),
    ({"lonely_1": "0"}, "lonely_1: not an integer 1-3"),
    ({"lonely_2": "4"}, "lonely_2: not an integer 1-3"),
    ({"lonely_3": "two"}, "lonely_3: not an integer 1-3"),
    ({"diversity_acceptance": "3.0"}, "diversity_acceptance: not an integer 1-5"),
]


@pytest.fixture(scope="module")
def surveys_run(tmp_path_factory) -> Run:
    tmp = tmp_path_factory.mktemp("sur")
    inbox = base_inbox(tmp / "inbox")
    bad = [{**SURVEY, "wave": "followup_3m", **overrides} for overrides, _ in SURVEY_CASES]
    write_csv(inbox / "surveys.csv", [SURVEY, *bad])
    return ingest(inbox, tmp / "warehouse.duckdb")


@pytest.mark.parametrize("case", range(len(SURVEY_CASES)))
def test_survey_rule(surveys_run: Run, case: int) -> None:
    reason = SURVEY_CASES[case][1]
    reasons = _reason_of_row(surveys_run, "surveys", 2 + case)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_surveys_good_rows(surveys_run: Run) -> None:
    assert surveys_run.count("core.surveys") == 1


def test_erasure_rules(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    write_csv(
        inbox / "erasures.csv",
        [
            {"participant_id": "", "requested_at": "2026-02-01T00:00:00Z"},
            {"participant_id": "zz", "requested_at": ""},
            {"participant_id": "zz", "requested_at": "now"},
        ],
    )
    run = run_ingest(inbox)
    assert run.reasons("erasures") == [
        "participant_id: required",
        "requested_at: not an ISO 8601 timestamp",
        "requested_at: required",
    ]


def test_null_defaults_and_types(tmp_path: Path, run_ingest) -> None:
    inbox = base_inbox(tmp_path / "inbox")
    sparse = {
        **LOCAL,
        "participant_id": "l2",
        "gender": "",
        "status": "",
        "gender_preference": "",
        "learning_languages": "",
        "availability": "",
        "district": "",
        "postcode": "02827",
        "birth_year": "",
        "consent_research": "No",
    }
    write_csv(inbox / "registrations.csv", [PARTICIPANT, LOCAL, sparse])
    run = run_ingest(inbox)
    row = run.sql(
        """SELECT gender, status, gender_preference, learning_languages, availability, district,
                  postcode, birth_year, consent_research, typeof(registered_at), typeof(languages)
           FROM core.participants WHERE participant_id = 'l2'"""
    )[0]
    assert row == (
        "unspecified",
        "waiting",
        "any",
        [],
        [],
        None,
        "02827",
        None,
        False,
        "TIMESTAMP WITH TIME ZONE",
        "VARCHAR[]",
    )
    assert run.sql("SELECT typeof(event_date), typeof(rating) FROM core.feedback")[0] == (
        "DATE",
        "INTEGER",
    )
