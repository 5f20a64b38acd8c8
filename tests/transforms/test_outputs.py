"""Output metrics on hand-made data. Funder f1: Leipzig + Dresden, 2026-01-01..2026-06-30."""

import datetime as dt

import pytest
from scipy import stats
from transforms_builders import (
    cells,
    event,
    feedback,
    match,
    matches,
    meeting,
    participants,
    person,
    scope,
)

from transforms.outputs import (
    group_event_visits,
    match_rate_30d,
    matches_made,
    median_days_to_match,
    participants_matched,
    registrations,
    tandem_meetings,
)


def _n(c):
    return {seg: row["n"] for seg, row in c.items()}


def test_registrations_period_bounds_in_berlin_time_and_segments():
    p = participants(
        person("r1", "Leipzig", registered_at="2026-01-01T10:00Z", birth_year=1990),
        # 2025-12-31T23:30Z is 2026-01-01 00:30 in Berlin: in period
        person("r2", "Leipzig", registered_at="2025-12-31T23:30Z", birth_year=1990),
        # 2026-06-30T21:59Z is 23:59 CEST on 06-30: in; age 2026 - 2002 = 24 -> <25
        person("r3", "Dresden", "local", "2026-06-30T21:59Z", birth_year=2002, gender="male"),
        # 2026-06-30T22:00Z is 2026-07-01 00:00 CEST: out
        person("r4", "Dresden", registered_at="2026-06-30T22:00Z"),
        person("r5", "Halle", registered_at="2026-03-01T10:00Z"),  # city out of scope
        # 2025-12-31T22:59Z is 23:59 CET on 12-31: out
        person("r6", "Leipzig", registered_at="2025-12-31T22:59Z"),
        person(
            "r7", "Leipzig", registered_at="2026-03-01T10:00Z", birth_year=None, gender="diverse"
        ),
    )
    c = cells(registrations(p, scope()))
    # in: r1, r2, r3, r7 -> all 4; Leipzig r1 r2 r7 = 3; Dresden r3 = 1
    assert _n(c) == {
        "all": 4,
        "city=Leipzig": 3,
        "city=Dresden": 1,
        "group=newcomer": 3,
        "group=local": 1,
        "gender=female": 2,
        "gender=male": 1,
        "gender=diverse": 1,
        "gender=unspecified": 0,
        "age=<25": 1,
        "age=25-39": 2,  # 2026 - 1990 = 36
        "age=40-59": 0,
        "age=60+": 0,
        "age=unknown": 1,
    }
    assert all(r["value"] == r["n"] for r in c.values())  # counts: value = n, also for 0
    assert all(r["ci_low"] is None and r["ci_high"] is None for r in c.values())


def test_registrations_age_uses_the_funders_own_end():
    # end = min(2025-12-31, as_of): 2025 - 2001 = 24 -> <25 (it would be 25 in 2026)
    from transforms import Funder

    f = Funder("old", "Old", ("Leipzig",), dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    p = participants(person("a", registered_at="2025-06-01T10:00Z", birth_year=2001))
    c = cells(registrations(p, scope(f)))
    assert c["age=<25"]["n"] == 1 and c["age=25-39"]["n"] == 0


def test_matches_made_scope_is_the_newcomers_city():
    p = participants(
        person("n1", "Leipzig"),
        person("n2", "Dresden"),
        person("n3", "Halle"),
        person("l1", "Leipzig", "local"),
        person("l2", "Halle", "local"),
    )
    m = matches(
        match("m1", "n1", "l1", "2026-01-01T10:00Z"),
        match("m2", "n2", "l2", "2026-06-30T22:30Z"),  # 2026-07-01 in Berlin: out
        match("m3", "n3", "l1", "2026-03-01T10:00Z"),  # newcomer in Halle: out
        match("m4", "n2", "l1", "2026-06-30T21:00Z"),  # 23:00 CEST 06-30: in, Dresden
    )
    c = cells(matches_made(m, p, scope()))
    assert _n(c) == {"all": 2, "city=Leipzig": 1, "city=Dresden": 1}
    assert c["all"]["value"] == 2.0


def test_participants_matched_both_sides_each_by_own_attributes():
    p = participants(
        person("n1", "Leipzig"),
        person("n2", "Dresden"),
        person("n3", "Halle"),
        person("l1", "Leipzig", "local", gender="male"),
        person("l2", "Halle", "local", birth_year=1960),
        person("l3", "Leipzig", "local"),
    )
    m = matches(
        match("m1", "n1", "l2", "2026-02-01T10:00Z"),
        match("m2", "n1", "l1", "2026-03-01T10:00Z"),
        match("m3", "n2", "l1", "2026-08-01T10:00Z"),  # after end
        match("m4", "n3", "l3", "2026-03-01T10:00Z"),  # newcomer's city out of scope
    )
    c = cells(participants_matched(m, p, scope()))
    # people of m1, m2: n1, l2, l1 (n1 once). l2 (Halle) counts in all but no city cell.
    n = _n(c)
    assert n["all"] == 3
    assert (n["city=Leipzig"], n["city=Dresden"]) == (2, 0)
    assert (n["group=newcomer"], n["group=local"]) == (1, 2)
    assert (n["gender=female"], n["gender=male"]) == (2, 1)
    assert (n["age=25-39"], n["age=60+"]) == (2, 1)  # 2026 - 1960 = 66


def test_match_rate_30d_boundaries():
    # as_of 2026-06-30 -> end = 2026-06-30, end - 30 = 2026-05-31
    p = participants(
        person("a", "Leipzig", registered_at="2026-01-10T10:00Z"),
        person("b", "Leipzig", registered_at="2026-01-10T10:00Z"),
        person("c", "Dresden", registered_at="2026-05-31T10:00Z"),  # date = end - 30: in
        person("d", "Leipzig", registered_at="2026-06-01T10:00Z"),  # after end - 30: out
        person("e", "Leipzig", "local", registered_at="2026-02-01T10:00Z"),
        person("g", "Halle", registered_at="2026-01-10T10:00Z"),  # out of scope
        person("h", "Leipzig", registered_at="2026-05-31T22:30Z"),  # Berlin 06-01: out
        person("x", "Halle", registered_at="2025-01-01T10:00Z"),
        person("y", "Halle", "local", registered_at="2025-01-01T10:00Z"),
    )
    m = matches(
        match("ma", "a", "y", "2026-02-09T10:00Z"),  # exactly 30 days: hit
        match("mb", "b", "y", "2026-02-09T10:00:01Z"),  # 30 days + 1 s: miss
        # e's first match has a newcomer in Halle (any city counts): 4 days: hit
        match("me", "x", "e", "2026-02-05T10:00Z"),
        match("me2", "g", "e", "2026-02-20T10:00Z"),
    )
    c = cells(match_rate_30d(p, m, scope(as_of=dt.date(2026, 6, 30))))
    # denominator a, b, c (never matched), e = 4; matched within 30 days a, e = 2
    assert c["all"]["n"] == 4
    assert c["all"]["value"] == 0.5
    ref = stats.binomtest(2, 4).proportion_ci(method="wilson")
    assert c["all"]["ci_low"] == pytest.approx(ref.low, abs=1e-12)
    assert c["all"]["ci_high"] == pytest.approx(ref.high, abs=1e-12)
    # Leipzig a, b, e -> 2/3; Dresden c -> 0/1 (Wilson at k = 0: lower bound 0)
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (3, pytest.approx(2 / 3))
    assert (c["city=Dresden"]["value"], c["city=Dresden"]["ci_low"]) == (0.0, 0.0)
    assert c["group=local"]["value"] == 1.0 and c["group=local"]["ci_high"] == 1.0
    # n = 0 share: value and CI null
    assert c["gender=male"]["n"] == 0 and c["gender=male"]["value"] is None
    assert c["gender=male"]["ci_low"] is None


def test_median_days_to_match_first_match_in_period_fractional_days():
    locals_ = [
        person(f"l{i}", "Halle", "local", registered_at="2025-01-01T00:00Z") for i in range(7)
    ]
    p = participants(
        person("p1", "Leipzig", registered_at="2025-11-01T00:00Z"),  # registered before period
        person("p2", "Leipzig", registered_at="2026-01-01T00:00Z"),
        person("p3", "Leipzig", registered_at="2026-02-01T00:00Z"),
        person("p4", "Leipzig", registered_at="2026-03-01T00:00Z"),
        person("p5", "Dresden", registered_at="2025-12-30T23:30Z"),
        person("p6", "Leipzig", registered_at="2026-06-01T00:00Z"),
        person("p7", "Leipzig", registered_at="2025-12-01T00:00Z"),
        *locals_,
    )
    m = matches(
        match("m1", "p1", "l1", "2026-01-01T12:00Z"),  # 30 + 31 days + 12 h = 61.5
        match("m2", "p2", "l2", "2026-01-03T06:00Z"),  # 2.25
        match("m3", "p3", "l3", "2026-02-11T00:00Z"),  # 10
        match("m4", "p4", "l4", "2026-03-05T00:00Z"),  # 4
        match("m5", "p5", "l5", "2025-12-31T23:30Z"),  # Berlin 01-01: in; 1.0 day
        match("m6", "p6", "l6", "2026-07-01T10:00Z"),  # after end: out
        # p7's first match is 2025-12-31 23:00 Berlin (out); the later one does not count
        match("m7", "p7", "l0", "2025-12-31T22:00Z"),
        match("m8", "p7", "l6", "2026-02-01T10:00Z"),
    )
    c = cells(median_days_to_match(p, m, scope()))
    # all: 1, 2.25, 4, 10, 61.5 -> median 4 (n = 5)
    assert (c["all"]["n"], c["all"]["value"]) == (5, 4.0)
    # Leipzig: 2.25, 4, 10, 61.5 -> even count: (4 + 10) / 2 = 7
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (4, 7.0)
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (1, 1.0)
    assert c["group=local"]["value"] is None  # n = 0: null
    assert c["all"]["ci_low"] is None


def test_tandem_meetings_distinct_match_date_in_period():
    p = participants(
        person("n1", "Leipzig"),
        person("n2", "Dresden"),
        person("n3", "Halle"),
        person("l1", "Halle", "local"),
        person("l2", "Leipzig", "local"),
        person("l3", "Leipzig", "local"),
    )
    m = matches(
        match("m1", "n1", "l1", "2025-11-01T10:00Z"),  # made before the period: still counts
        match("m2", "n2", "l2", "2026-01-01T10:00Z"),
        match("m3", "n3", "l3", "2026-01-01T10:00Z"),  # newcomer in Halle: out
    )
    fb = feedback(
        meeting("n1", "m1", "2026-01-01"),
        meeting("l1", "m1", "2026-01-01"),  # same (match, date): once
        meeting("n1", "m1", "2026-01-05"),
        meeting("n1", "m1", "2026-01-06", attended=False),  # not attended
        meeting("n1", "m1", "2025-12-31"),  # before period
        meeting("n2", "m2", "2026-06-30"),
        meeting("n2", "m2", "2026-07-01"),  # after end
        meeting("n3", "m3", "2026-03-01"),
    )
    c = cells(tandem_meetings(fb, m, p, scope()))
    assert _n(c) == {"all": 3, "city=Leipzig": 2, "city=Dresden": 1}


def test_group_event_visits_distinct_participant_event():
    p = participants(
        person("pa", "Leipzig"),
        person("pb", "Dresden"),
        person("pc", "Halle"),
        person("pd", "Leipzig"),
    )
    fb = feedback(
        event("pa", "e1", "2026-01-10"),
        event("pa", "e1", "2026-01-10"),  # duplicate row: once
        event("pa", "e2", "2026-02-01", attended=False),
        event("pa", "e3", "2025-12-20"),  # out of period ...
        event("pa", "e3", "2026-01-02"),  # ... but another attended row is in: counts once
        event("pb", "e1", "2026-01-10"),
        event("pc", "e1", "2026-01-10"),  # Halle
        event("pd", "e4", "2026-07-01"),  # after end
    )
    c = cells(group_event_visits(fb, p, scope()))
    assert _n(c) == {"all": 3, "city=Leipzig": 2, "city=Dresden": 1}


def test_counts_with_no_units_are_zero():
    c = cells(registrations(participants(), scope()))
    assert all(r["n"] == 0 and r["value"] == 0.0 for r in c.values())
    assert len(c) == 14
