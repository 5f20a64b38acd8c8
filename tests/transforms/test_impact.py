"""tandem_survival_182d by hand. as_of 2026-06-30; f1 = Leipzig + Dresden, 2026-01-01..06-30."""

import datetime as dt
import math

import pytest
from transforms_builders import (
    cells,
    feedback,
    match,
    matches,
    meeting,
    participants,
    person,
    scope,
)

from transforms import Funder, Z, match_outcomes
from transforms.impact import tandem_survival_182d

AS_OF = dt.date(2026, 6, 30)
P = participants(
    *[person(f"n{i}", "Leipzig") for i in range(1, 8)],
    person("nd", "Dresden"),
    person("nx", "Leipzig"),
    *[person(f"l{i}", "Halle", "local") for i in range(1, 10)],
)
M = matches(
    match("m1", "n1", "l1", "2026-01-01T10:00Z"),  # last 01-11, silence 170: ended, 10
    match("m2", "n2", "l2", "2026-01-01T10:00Z", ended_at="2026-01-05T10:00Z"),  # ended, 10
    match("m3", "n3", "l3", "2026-06-10T10:00Z"),  # no meeting, silence 20: censored, 20
    match("m4", "n4", "l4", "2026-01-01T10:00Z"),  # last 01-21: ended, 20
    match("m5", "n5", "l5", "2026-05-31T10:00Z"),  # silence 30: censored, 30
    match("m6", "n6", "l6", "2026-01-01T10:00Z"),  # last 05-01, silence 60: censored, 180
    match("m7", "n7", "l7", "2026-01-01T10:00Z"),  # last 04-30, silence 61: ended, 119
    match("m8", "nd", "l8", "2026-01-01T10:00Z"),  # Dresden, never met: ended, 0
    match("m9", "nx", "l9", "2025-12-31T22:30Z"),  # Berlin 2025-12-31: not made in period
)
F = feedback(
    meeting("n1", "m1", "2026-01-11"),
    meeting("n2", "m2", "2026-01-11"),  # after ended_at: still counts, duration last - d0
    meeting("n4", "m4", "2026-01-21"),
    meeting("n6", "m6", "2026-01-15"),
    meeting("l6", "m6", "2026-05-01"),
    meeting("n7", "m7", "2026-04-30"),
)
OUT = match_outcomes(M, F, AS_OF)


def test_km_greenwood_by_hand():
    c = cells(tandem_survival_182d(OUT, P, scope(as_of=AS_OF)))
    # Leipzig: 10e 10e 20c 20e 30c 119e 180c (n 7); the censored 20 stays at risk at t=20
    #   t=10: 2 of 7 -> 5/7; t=20: 1 of 5 -> 4/5; t=119: 1 of 2 -> 1/2; S = 2/7
    #   Greenwood sum = 2/(7*5) + 1/(5*4) + 1/(2*1) = 0.607143; Var = (2/7)^2 * 0.607143
    s = 2 / 7
    half = Z * math.sqrt(s**2 * (2 / 35 + 1 / 20 + 1 / 2))  # 0.436340
    lz = c["city=Leipzig"]
    assert lz["n"] == 7
    assert lz["value"] == pytest.approx(s)
    assert lz["ci_low"] == 0.0  # 0.285714 - 0.436340 < 0: clipped
    assert lz["ci_high"] == pytest.approx(s + half)
    assert lz["ci_high"] == pytest.approx(0.722055, abs=1e-6)
    # all adds Dresden's 0e: t=0: 1 of 8 -> 7/8; then 5/7, 4/5, 1/2 -> S = 0.25
    #   Greenwood sum = 1/56 + 2/35 + 1/20 + 1/2 = 0.625; Var = 0.0625 * 0.625 = 0.0390625
    a = c["all"]
    assert (a["n"], a["value"]) == (8, pytest.approx(0.25))
    assert a["ci_high"] == pytest.approx(0.25 + Z * math.sqrt(0.0390625))
    assert a["ci_low"] == 0.0
    # Dresden: one match ending at 0 -> S = 0, CI [0, 0]
    d = c["city=Dresden"]
    assert (d["n"], d["value"], d["ci_low"], d["ci_high"]) == (1, 0.0, 0.0, 0.0)


def test_km_silence_uses_as_of_not_the_funders_end():
    # period up to 03-31: m1, m2, m4, m6, m7 made in period; durations still use as_of:
    #   10e 10e 20e 119e 180c: t=10: 2 of 5 -> 3/5; t=20: 1 of 3 -> 2/3; t=119: 1 of 2 -> 1/2
    #   S = 3/5 * 2/3 * 1/2 = 0.2
    f = Funder("q1", "Q1", ("Leipzig",), dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    c = cells(tandem_survival_182d(OUT, P, scope(f, as_of=AS_OF)))
    assert (c["all"]["n"], c["all"]["value"]) == (5, pytest.approx(0.2))


def test_km_all_censored_and_empty():
    out = match_outcomes(matches(match("m3", "n3", "l3", "2026-06-10T10:00Z")), feedback(), AS_OF)
    c = cells(tandem_survival_182d(out, P, scope(as_of=AS_OF)))
    # one censored tandem: S = 1, Var = 0 -> CI [1, 1]; n = 1
    assert (c["all"]["n"], c["all"]["value"], c["all"]["ci_low"], c["all"]["ci_high"]) == (
        1,
        1.0,
        1.0,
        1.0,
    )
    # n = 0: value and CI null
    assert (c["city=Dresden"]["n"], c["city=Dresden"]["value"]) == (0, None)
    assert c["city=Dresden"]["ci_low"] is None
