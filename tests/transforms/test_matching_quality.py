"""Matching-quality metrics. f1: Leipzig + Dresden, 2026-01-01..2026-06-30, as_of 2026-12-31."""

import datetime as dt

import pytest
from transforms_builders import (
    AS_OF,
    cells,
    feedback,
    match,
    matches,
    meeting,
    participants,
    person,
    proposal,
    proposals,
    scope,
    scores,
)

from transforms import match_outcomes
from transforms.matching_quality import (
    mean_proposal_score,
    proposal_coverage,
    score_auc_sustained,
)

P = participants(
    person("w1", "Leipzig", status="waiting"),
    person("w2", "Leipzig", "local", status="waiting"),  # has only an ended match
    person("w3", "Leipzig", status="waiting"),  # not proposed
    person("w4", "Leipzig", status="waiting"),  # has an open match: not waiting
    person("w5", "Leipzig", status="paused"),
    person("w6", "Dresden", status="waiting"),
    person("w7", "Halle", status="waiting"),
    # registered after the period: no period filter for a snapshot at as_of
    person("w8", "Leipzig", registered_at="2026-11-01T10:00Z", status="waiting"),
    person("zl", "Leipzig", "local", status="waiting"),
    person("nd", "Dresden", status="waiting"),
    person("zd", "Dresden", "local", status="waiting"),
    person("zh", "Halle", "local", status="waiting"),
    person("x", "Halle", status="matched"),
    person("y", "Halle", "local", status="matched"),
)
M = matches(
    match("mw2", "x", "w2", "2026-02-01T10:00Z", ended_at="2026-03-01T10:00Z"),
    match("mw4", "w4", "y", "2026-02-01T10:00Z"),
)
PROPOSALS = proposals(
    proposal("w1", "w2", "Leipzig", 0.5),
    proposal("w8", "zl", "Leipzig", 0.7),
    proposal("nd", "zd", "Dresden", 0.3),
    proposal("w7", "zh", "Halle", 0.9),
)


def test_proposal_coverage_waiting_set_and_cities():
    c = cells(proposal_coverage(P, M, PROPOSALS, scope()))
    assert set(c) == {"all", "city=Leipzig", "city=Dresden"}  # no group/gender/age cells
    # Leipzig waiting: w1, w2, w3, w8, zl (w4 open match, w5 paused); proposed w1 w2 w8 zl
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (5, 0.8)
    # Dresden waiting: w6, nd, zd; proposed nd, zd
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (3, pytest.approx(2 / 3))
    assert (c["all"]["n"], c["all"]["value"]) == (8, 0.75)


def test_mean_proposal_score_newcomer_in_scope_t_ci():
    c = cells(mean_proposal_score(PROPOSALS, P, scope()))
    # all: 0.5, 0.7, 0.3 (Halle's 0.9 out): mean 0.5, sd 0.2, t(0.975, 2) = 4.302653,
    # half = 4.302653 * 0.2 / sqrt(3) = 0.496828 -> [0.003172, 0.996828]
    assert (c["all"]["n"], c["all"]["value"]) == (3, pytest.approx(0.5))
    assert (c["all"]["ci_low"], c["all"]["ci_high"]) == pytest.approx(
        (0.003172, 0.996828), abs=1e-6
    )
    # Leipzig 0.5, 0.7: mean 0.6, sd 0.141421, half = 12.706205 * 0.141421 / sqrt(2) = 1.270620
    assert c["city=Leipzig"]["ci_low"] == pytest.approx(0.6 - 1.270620, abs=1e-6)
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["ci_low"]) == (1, None)


def _sustained_meetings(pid, mid, d0):
    start = dt.date.fromisoformat(d0)
    return [meeting(pid, mid, (start + dt.timedelta(days=k)).isoformat()) for k in (0, 20, 42)]


def test_score_auc_sustained_ties_half_and_one_class_null():
    people = participants(
        *[person(f"n{i}", "Leipzig") for i in range(1, 6)],
        person("nd", "Dresden"),
        *[person(f"l{i}", "Halle", "local") for i in range(1, 7)],
    )
    ms = matches(
        match("a1", "n1", "l1", "2026-01-10T10:00Z"),
        match("a2", "n2", "l2", "2026-02-10T10:00Z"),
        match("a3", "n3", "l3", "2026-03-10T10:00Z"),
        match("a4", "n4", "l4", "2026-04-01T10:00Z"),  # d0 = end - 90: counted
        match("a5", "n5", "l5", "2026-04-02T10:00Z"),  # too young for sustained_rate
        match("a6", "nd", "l6", "2026-01-10T10:00Z"),
    )
    fb = feedback(
        *_sustained_meetings("n1", "a1", "2026-01-10"),
        *_sustained_meetings("n2", "a2", "2026-02-10"),
        *_sustained_meetings("n5", "a5", "2026-04-02"),
        *_sustained_meetings("nd", "a6", "2026-01-10"),
        meeting("n3", "a3", "2026-03-10"),
    )
    sc = scores(
        {"a1": 0.9, "a2": 0.375, "a3": 0.37500000000000006, "a4": 0.1, "a5": 0.0, "a6": 0.5}
    )
    out = match_outcomes(ms, fb, AS_OF)
    c = cells(score_auc_sustained(out, sc, people, scope()))
    # Leipzig: positives 0.9, 0.375; negatives 0.375 (rounded tie), 0.1
    #   wins 1 + 1 + 0.5 + 1 = 3.5 of 4 pairs -> 0.875
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (4, 0.875)
    # all adds positive 0.5 (beats both negatives): 5.5 / 6
    assert (c["all"]["n"], c["all"]["value"]) == (5, pytest.approx(5.5 / 6))
    # Dresden: one sustained match only -> one class -> null, n still 1
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (1, None)
    assert c["all"]["ci_low"] is None and c["all"]["ci_high"] is None
