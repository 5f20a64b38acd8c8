"""Outcome metrics on hand-made data. Funder f1: Leipzig + Dresden, 2026-01-01..2026-06-30,
as_of 2026-12-31, so end = 2026-06-30, end - 28 = 2026-06-02, end - 90 = 2026-04-01."""

import math

import pytest
from scipy import stats
from transforms_builders import (
    AS_OF,
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

from transforms import match_outcomes
from transforms.outcomes import (
    cross_group_ties,
    first_meeting_rate,
    mean_rating,
    sustained_rate,
    would_meet_again_share,
)

PEOPLE = participants(
    *[person(f"n{i}", "Leipzig") for i in range(1, 7)],
    person("nd", "Dresden"),
    *[person(f"l{i}", "Halle", "local") for i in range(1, 8)],
)


def _outcomes(ms, fb):
    return match_outcomes(matches(*ms), feedback(*fb), AS_OF)


def test_first_meeting_rate_28_days_before_end():
    ms = [
        match("f1", "n1", "l1", "2026-06-02T10:00Z"),  # d0 = end - 28: in
        match("f2", "n2", "l2", "2026-06-03T10:00Z"),  # d0 = end - 27: out
        match("f3", "n3", "l3", "2026-01-10T10:00Z"),
        match("f4", "n4", "l4", "2025-12-31T23:30Z"),  # Berlin 2026-01-01: in period
        match("f5", "n5", "l5", "2025-12-31T22:30Z"),  # Berlin 2025-12-31: out
        match("f6", "nd", "l6", "2026-03-01T10:00Z"),  # Dresden, never met
    ]
    fb = [
        meeting("n1", "f1", "2026-06-30"),  # d0 + 28: hit
        meeting("n2", "f2", "2026-06-03"),
        meeting("n3", "f3", "2026-02-08"),  # d0 + 29 (21 + 8): miss
        meeting("l4", "f4", "2026-01-29"),  # d0 + 28 from the Berlin date: hit
        meeting("n5", "f5", "2026-01-01"),
    ]
    c = cells(first_meeting_rate(_outcomes(ms, fb), PEOPLE, scope()))
    # denominator f1, f3, f4, f6 = 4; hits f1, f4 = 2
    assert (c["all"]["n"], c["all"]["value"]) == (4, 0.5)
    ref = stats.binomtest(2, 4).proportion_ci(method="wilson")
    assert (c["all"]["ci_low"], c["all"]["ci_high"]) == pytest.approx((ref.low, ref.high))
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (3, pytest.approx(2 / 3))
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (1, 0.0)


def test_sustained_rate_90_days_before_end():
    ms = [
        match("s1", "n1", "l1", "2026-04-01T10:00Z"),  # d0 = end - 90: in
        match("s2", "n2", "l2", "2026-04-02T10:00Z"),  # end - 89: out
        match("s3", "n3", "l3", "2026-01-01T10:00Z"),
        match("s4", "n4", "l4", "2026-02-01T10:00Z"),
    ]
    fb = [
        # s1: 04-01, 04-20, 05-13 (30 + 12 = 42 days): sustained
        meeting("n1", "s1", "2026-04-01"),
        meeting("l1", "s1", "2026-04-20"),
        meeting("n1", "s1", "2026-05-13"),
        # s2 would be sustained but is too young for this funder
        meeting("n2", "s2", "2026-04-02"),
        meeting("n2", "s2", "2026-04-20"),
        meeting("n2", "s2", "2026-05-20"),
        # s3: 01-01 -> 02-11 = 41 days: not sustained
        meeting("n3", "s3", "2026-01-01"),
        meeting("n3", "s3", "2026-01-20"),
        meeting("n3", "s3", "2026-02-11"),
    ]
    c = cells(sustained_rate(_outcomes(ms, fb), PEOPLE, scope()))
    # denominator s1, s3, s4 = 3; sustained s1 -> 1/3
    assert (c["all"]["n"], c["all"]["value"]) == (3, pytest.approx(1 / 3))
    assert c["city=Dresden"]["n"] == 0 and c["city=Dresden"]["value"] is None


def test_mean_rating_person_city_both_kinds_t_ci():
    p = participants(
        person("pl1", "Leipzig"),
        person("pl2", "Leipzig", "local"),
        person("pd", "Dresden"),
        person("ph", "Halle"),
    )
    fb = feedback(
        meeting("pl1", "mx", "2026-02-01", rating=3),
        event("pl1", "e1", "2026-02-02", attended=False, rating=4),  # not attended: counts
        # pl2 (Leipzig) rates a meeting of a Dresden match: the row takes pl2's city
        meeting("pl2", "my", "2026-03-01", rating=5),
        event("pl2", "e2", "2026-07-01", rating=4),  # after end
        meeting("pd", "my", "2026-03-01", rating=2),
        event("ph", "e1", "2026-02-02", rating=1),  # Halle
        meeting("pl1", "mx", "2026-02-10", rating=None),  # unrated
    )
    c = cells(mean_rating(fb, p, scope()))
    # Leipzig: 3, 4, 5 -> mean 4, sd 1, t(0.975, 2) = 4.302653, half = 4.302653 / sqrt(3)
    #          = 2.484138 -> [1.515862, 6.484138]
    lz = c["city=Leipzig"]
    assert (lz["n"], lz["value"]) == (3, 4.0)
    assert (lz["ci_low"], lz["ci_high"]) == pytest.approx((1.515862, 6.484138), abs=1e-6)
    # all: 3, 4, 5, 2 -> mean 3.5, sd = sqrt(5/3) = 1.290994, t(0.975, 3) = 3.182446,
    #      half = 3.182446 * 1.290994 / 2 = 2.054260 -> [1.445740, 5.554260]
    a = c["all"]
    assert (a["n"], a["value"]) == (4, 3.5)
    ref = stats.t.interval(0.95, 3, loc=3.5, scale=math.sqrt(5 / 3) / 2)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(ref, abs=1e-12)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((1.445740, 5.554260), abs=1e-6)
    # n = 1: value, but a mean's CI is null
    assert (c["city=Dresden"]["value"], c["city=Dresden"]["ci_low"]) == (2.0, None)


def test_mean_rating_sd_zero_gives_point_interval():
    p = participants(person("a", "Leipzig"), person("b", "Leipzig"))
    fb = feedback(
        meeting("a", "m", "2026-02-01", rating=4), meeting("b", "m", "2026-02-01", rating=4)
    )
    c = cells(mean_rating(fb, p, scope()))
    assert (c["all"]["value"], c["all"]["ci_low"], c["all"]["ci_high"]) == (4.0, 4.0, 4.0)


def test_would_meet_again_share_tandem_rows_non_null_answers():
    p = participants(person("pl1", "Leipzig"), person("pl2", "Leipzig"), person("pd", "Dresden"))
    group_row = event("pl1", "e1", "2026-02-01")
    group_row["would_meet_again"] = True  # a group-event row: not counted
    fb = feedback(
        meeting("pl1", "m1", "2026-02-01", would_meet_again=True),
        meeting("pl1", "m1", "2026-02-08", attended=False, would_meet_again=False),  # counts
        meeting("pl2", "m2", "2026-02-01", would_meet_again=True),
        meeting("pd", "m3", "2026-02-01", would_meet_again=None),  # no answer
        meeting("pd", "m3", "2026-02-08", would_meet_again=False),
        meeting("pd", "m3", "2026-07-08", would_meet_again=True),  # after end
        group_row,
    )
    c = cells(would_meet_again_share(fb, p, scope()))
    # Leipzig T, F, T -> 2/3; Dresden F -> 0/1; all 2/4
    assert (c["all"]["n"], c["all"]["value"]) == (4, 0.5)
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (3, pytest.approx(2 / 3))
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (1, 0.0)
    assert c["city=Dresden"]["ci_low"] == 0.0


def test_cross_group_ties_matches_plus_contacts_n_distinct_writers():
    p = participants(
        person("nl", "Leipzig"),
        person("nd", "Dresden"),
        person("nh", "Halle"),
        person("lh", "Halle", "local"),
        person("ll", "Leipzig", "local"),
    )
    m = matches(
        match("mA", "nl", "lh", "2025-10-01T10:00Z"),  # made before the period: counts
        match("mB", "nd", "ll", "2026-02-01T10:00Z"),
        match("mC", "nh", "ll", "2026-02-01T10:00Z"),  # Halle newcomer: out
    )
    fb = feedback(
        meeting("lh", "mA", "2026-01-05"),  # writer from Halle, row takes mA's city Leipzig
        meeting("nl", "mA", "2026-01-12"),
        meeting("nd", "mB", "2026-03-01", attended=False),
        meeting("ll", "mB", "2026-07-02"),  # after end
        meeting("nh", "mC", "2026-03-01"),
        event("nl", "e1", "2026-02-01", contacts=3),
        event("ll", "e1", "2026-02-01", contacts=None),  # adds 0, ll still behind a row
        event("nd", "e2", "2026-03-01", contacts=4),
        event("nd", "e3", "2026-03-02", attended=False, contacts=5),
        event("lh", "e1", "2026-02-01", contacts=2),  # Halle person
    )
    c = cells(cross_group_ties(fb, m, p, scope()))
    # Leipzig: 1 match (mA) + 3 + 0 = 4, writers lh, nl, ll = 3
    assert (c["city=Leipzig"]["value"], c["city=Leipzig"]["n"]) == (4.0, 3)
    # Dresden: 0 matches + 4 = 4, writer nd = 1
    assert (c["city=Dresden"]["value"], c["city=Dresden"]["n"]) == (4.0, 1)
    # all: 1 + 3 + 0 + 4 = 8, writers lh, nl, ll, nd = 4
    assert (c["all"]["value"], c["all"]["n"]) == (8.0, 4)
    empty = cells(cross_group_ties(feedback(), m, p, scope()))
    assert all(r["value"] == 0.0 and r["n"] == 0 for r in empty.values())
