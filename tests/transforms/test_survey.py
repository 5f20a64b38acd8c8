"""Survey change metrics. Funder f1: Leipzig + Dresden, 2026-01-01..2026-06-30 (end 06-30)."""

import math

import pytest
from scipy import stats
from transforms_builders import answer, cells, participants, person, scope, surveys

from transforms.survey import improved_belonging_share, survey_delta

P = participants(
    person("a", "Leipzig", birth_year=1990),
    person("b", "Leipzig", "local", birth_year=1960, gender="male"),
    person("c", "Dresden", birth_year=2002),
    person("d", "Leipzig", consent=False),
    person("e", "Leipzig", consent=None),
    person("h", "Halle"),
    person("g", "Leipzig"),
    person("k", "Leipzig"),
    person("m", "Leipzig"),
    person("t", "Leipzig"),
)
S = surveys(
    # a: baseline from before the period (any date is fine): belonging 2 -> 4 = +2
    answer(
        "a",
        "baseline",
        "2025-06-01T10:00Z",
        belonging=2,
        lonely_1=3,
        lonely_2=3,
        lonely_3=3,
        outgroup_attitude=40,
    ),
    answer(
        "a",
        "followup_3m",
        "2026-02-01T10:00Z",
        belonging=4,
        lonely_1=1,
        lonely_2=2,
        lonely_3=2,
        outgroup_attitude=70,
    ),
    answer("a", "followup_12m", "2026-06-15T10:00Z", belonging=5),
    # b: 3 -> 3 = 0; loneliness undefined (lonely_3 missing at baseline)
    answer("b", "baseline", "2025-12-01T10:00Z", belonging=3, lonely_1=2, lonely_2=2),
    answer(
        "b", "followup_3m", "2026-03-01T10:00Z", belonging=3, lonely_1=2, lonely_2=2, lonely_3=2
    ),
    # c (Dresden): 4 -> 3 = -1; loneliness 3 -> 6 = +3
    answer("c", "baseline", "2025-12-01T10:00Z", belonging=4, lonely_1=1, lonely_2=1, lonely_3=1),
    answer(
        "c", "followup_3m", "2026-03-01T10:00Z", belonging=3, lonely_1=2, lonely_2=2, lonely_3=2
    ),
    # d: consent false; e: consent null; h: Halle -> all excluded
    answer("d", "baseline", "2025-12-01T10:00Z", belonging=1),
    answer("d", "followup_3m", "2026-03-01T10:00Z", belonging=5),
    answer("e", "baseline", "2025-12-01T10:00Z", belonging=1),
    answer("e", "followup_3m", "2026-03-01T10:00Z", belonging=5),
    answer("h", "baseline", "2025-12-01T10:00Z", belonging=1),
    answer("h", "followup_3m", "2026-03-01T10:00Z", belonging=5),
    # g: follow-up 2026-06-30T22:30Z is 2026-07-01 in Berlin: out
    answer("g", "baseline", "2025-12-01T10:00Z", belonging=1),
    answer("g", "followup_3m", "2026-06-30T22:30Z", belonging=5),
    # k: follow-up 2025-12-31T23:30Z is 2026-01-01 in Berlin: in; 3 -> 4 = +1
    answer("k", "baseline", "2025-09-01T10:00Z", belonging=3),
    answer("k", "followup_3m", "2025-12-31T23:30Z", belonging=4),
    # m: no baseline
    answer("m", "followup_3m", "2026-03-01T10:00Z", belonging=5),
    # t: belonging missing at baseline -> no belonging pair, but a trust pair 2 -> 5
    answer("t", "baseline", "2025-12-01T10:00Z", trust_people=2, outgroup_contact=0),
    answer(
        "t", "followup_3m", "2026-03-01T10:00Z", belonging=4, trust_people=5, outgroup_contact=3
    ),
)


def _delta(item, wave="3m"):
    return cells(survey_delta(S, P, scope(), item=item, wave=wave))


def test_delta_belonging_pairs_consent_and_dates():
    c = _delta("belonging")
    # pairs a +2, b 0, c -1, k +1: n 4, mean 0.5; deviations 1.5, -0.5, -1.5, 0.5 ->
    # sd = sqrt(5/3) = 1.290994; half = t(0.975, 3) 3.182446 * 1.290994 / 2 = 2.054260
    assert (c["all"]["n"], c["all"]["value"]) == (4, 0.5)
    assert (c["all"]["ci_low"], c["all"]["ci_high"]) == pytest.approx(
        (-1.554260, 2.554260), abs=1e-6
    )
    # Leipzig a, b, k: 2, 0, 1 -> mean 1; Dresden c: -1 with n = 1 -> CI null
    assert (c["city=Leipzig"]["n"], c["city=Leipzig"]["value"]) == (3, 1.0)
    assert c["city=Dresden"]["value"] == -1.0 and c["city=Dresden"]["ci_low"] is None
    # groups: newcomers a, c, k -> (2 - 1 + 1) / 3; local b -> 0
    assert c["group=newcomer"]["value"] == pytest.approx(2 / 3)
    assert (c["group=local"]["n"], c["group=local"]["value"]) == (1, 0.0)
    # ages by 2026 - birth year: a, k 36 -> 25-39; b 66 -> 60+; c 24 -> <25
    assert c["age=25-39"]["n"] == 2 and c["age=60+"]["n"] == 1 and c["age=<25"]["n"] == 1
    assert c["age=unknown"]["n"] == 0 and c["age=unknown"]["value"] is None


def test_improved_belonging_share_uses_the_same_pairs():
    c = cells(improved_belonging_share(S, P, scope(), wave="3m"))
    # diffs +2, 0, -1, +1: >= 1 for a and k -> 2/4
    assert (c["all"]["n"], c["all"]["value"]) == (4, 0.5)
    ref = stats.binomtest(2, 4).proportion_ci(method="wilson")
    assert (c["all"]["ci_low"], c["all"]["ci_high"]) == pytest.approx((ref.low, ref.high))
    assert c["city=Dresden"]["value"] == 0.0  # c: -1


def test_wave_12m_is_separate():
    c = _delta("belonging", "12m")
    # only a has a 12m follow-up: 2 -> 5 = +3, n = 1: CI null
    assert (c["all"]["n"], c["all"]["value"], c["all"]["ci_low"]) == (1, 3.0, None)


def test_loneliness_needs_all_three_items():
    c = _delta("loneliness")
    # a: 9 -> 5 = -4; c: 3 -> 6 = +3; b lacks lonely_3 at baseline
    assert (c["all"]["n"], c["all"]["value"]) == (2, -0.5)
    sd = math.sqrt(((-4 + 0.5) ** 2 + (3 + 0.5) ** 2) / 1)  # 4.949747
    ref = stats.t.interval(0.95, 1, loc=-0.5, scale=sd / math.sqrt(2))
    assert (c["all"]["ci_low"], c["all"]["ci_high"]) == pytest.approx(ref, rel=1e-12)


def test_other_items_are_their_own_pairs():
    assert _delta("trust_people")["all"]["value"] == 3.0  # t: 2 -> 5
    assert _delta("outgroup_attitude")["all"]["value"] == 30.0  # a: 40 -> 70
    assert _delta("outgroup_contact")["all"]["value"] == 3.0  # t: 0 (never) -> 3 (weekly)
    c = _delta("diversity_acceptance")
    assert c["all"]["n"] == 0 and c["all"]["value"] is None


def test_unknown_item_or_wave_raises():
    with pytest.raises(ValueError, match="unknown survey item"):
        survey_delta(S, P, scope(), item="happiness", wave="3m")
    with pytest.raises(ValueError, match="unknown follow-up wave"):
        survey_delta(S, P, scope(), item="belonging", wave="6m")
