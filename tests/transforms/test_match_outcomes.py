import datetime as dt

import pytest
from transforms_builders import feedback, match, matches, meeting

from transforms import first_matches, match_outcomes

AS_OF = dt.date(2026, 12, 31)


def _outcomes(ms, fb, as_of=AS_OF):
    df = match_outcomes(matches(*ms), feedback(*fb), as_of).collect()
    return {r["match_id"]: r for r in df.iter_rows(named=True)}


def test_sustained_needs_3_dates_and_42_days():
    ms = [
        match("s42", "n1", "l1", "2026-01-01T10:00Z"),
        match("s41", "n2", "l2", "2026-01-01T10:00Z"),
        match("two", "n3", "l3", "2026-01-01T10:00Z"),
        match("noatt", "n4", "l4", "2026-01-01T10:00Z"),
    ]
    fb = [
        # 01-01 -> 02-12 is 31 + 11 = 42 days: sustained; rows of either partner count
        meeting("n1", "s42", "2026-01-01"),
        meeting("l1", "s42", "2026-01-20"),
        meeting("n1", "s42", "2026-02-12"),
        # 01-01 -> 02-11 is 41 days: not sustained
        meeting("n2", "s41", "2026-01-01"),
        meeting("n2", "s41", "2026-01-20"),
        meeting("n2", "s41", "2026-02-11"),
        # two distinct dates only (01-01 reported by both partners counts once)
        meeting("n3", "two", "2026-01-01"),
        meeting("l3", "two", "2026-01-01"),
        meeting("n3", "two", "2026-03-01"),
        # third date not attended by anyone
        meeting("n4", "noatt", "2026-01-01"),
        meeting("n4", "noatt", "2026-01-20"),
        meeting("n4", "noatt", "2026-02-20", attended=False),
        meeting("l4", "noatt", "2026-02-20", attended=False),
    ]
    out = _outcomes(ms, fb)
    assert out["s42"]["sustained"] and out["s42"]["meetings_90d"] == 3
    assert not out["s41"]["sustained"]
    assert not out["two"]["sustained"] and out["two"]["meetings_90d"] == 2
    assert not out["noatt"]["sustained"] and out["noatt"]["meetings_90d"] == 2


def test_sustained_window_is_d0_to_d0_plus_90_inclusive():
    ms = [
        match("w90", "n1", "l1", "2026-01-01T10:00Z"),
        match("w91", "n2", "l2", "2026-01-01T10:00Z"),
    ]
    fb = [
        # d0 + 90 = 2026-04-01 (31 + 28 + 31): included
        meeting("n1", "w90", "2026-01-10"),
        meeting("n1", "w90", "2026-02-01"),
        meeting("n1", "w90", "2026-04-01"),
        # 2026-04-02 = d0 + 91: outside, leaves 2 dates
        meeting("n2", "w91", "2026-01-10"),
        meeting("n2", "w91", "2026-02-01"),
        meeting("n2", "w91", "2026-04-02"),
    ]
    out = _outcomes(ms, fb)
    assert out["w90"]["sustained"] and out["w90"]["meetings_90d"] == 3
    assert not out["w91"]["sustained"] and out["w91"]["meetings_90d"] == 2
    assert out["w91"]["last_meeting_date"] == dt.date(2026, 4, 2)


def test_d0_is_the_berlin_date_of_matched_at():
    # 2025-12-31T23:30Z is 2026-01-01 in Berlin: d0 = 01-01, so a meeting on 01-29 is
    # d0 + 28 (first_meeting_28d) and 01-01 -> 02-12 spans 42 days (sustained)
    ms = [match("m", "n1", "l1", "2025-12-31T23:30Z")]
    fb = [
        meeting("n1", "m", "2026-01-29"),
        meeting("n1", "m", "2026-01-01"),
        meeting("n1", "m", "2026-02-12"),
    ]
    row = _outcomes(ms, fb)["m"]
    assert row["matched_date"] == dt.date(2026, 1, 1)
    assert row["first_meeting_28d"] and row["sustained"]
    assert row["first_meeting_date"] == dt.date(2026, 1, 1)


def test_first_meeting_28d_boundary():
    ms = [
        match("d28", "n1", "l1", "2026-01-01T10:00Z"),
        match("d29", "n2", "l2", "2026-01-01T10:00Z"),
        match("none", "n3", "l3", "2026-01-01T10:00Z"),
    ]
    fb = [meeting("l1", "d28", "2026-01-29"), meeting("n2", "d29", "2026-01-30")]
    out = _outcomes(ms, fb)
    assert out["d28"]["first_meeting_28d"]
    assert not out["d29"]["first_meeting_28d"]
    assert not out["none"]["first_meeting_28d"]
    assert out["none"]["meetings_90d"] == 0 and not out["none"]["sustained"]


def test_mature_90d_and_young_flag_on_meetings_so_far():
    # as_of - 90 = 2026-10-02
    ms = [
        match("old", "n1", "l1", "2026-10-02T10:00Z"),
        match("young", "n2", "l2", "2026-10-03T10:00Z"),
    ]
    # young: 10-03, 10-20, 11-14 (28 + 14 = 42 days): sustained so far, not mature
    fb = [
        meeting("n2", "young", "2026-10-03"),
        meeting("n2", "young", "2026-10-20"),
        meeting("n2", "young", "2026-11-14"),
    ]
    out = _outcomes(ms, fb)
    assert out["old"]["mature_90d"]
    assert not out["young"]["mature_90d"] and out["young"]["sustained"]


def test_ended_and_censored_by_silence_60_vs_61():
    ms = [
        match("s60", "n1", "l1", "2026-06-01T10:00Z"),
        match("s61", "n2", "l2", "2026-06-01T10:00Z"),
        match("quiet", "n3", "l3", "2026-12-01T10:00Z"),
        match("set", "n4", "l4", "2026-01-01T10:00Z", ended_at="2026-01-15T10:00Z"),
    ]
    fb = [
        # as_of 12-31 - 11-01 = 30 + 30 = 60 days: censored, duration as_of - d0 = 213
        meeting("n1", "s60", "2026-11-01"),
        # 12-31 - 10-31 = 61: ended, duration last - d0 = 10-31 - 06-01 = 152
        meeting("n2", "s61", "2026-10-31"),
        # meeting after ended_at still counts: duration last - d0 = 31 although ended_at set
        meeting("n4", "set", "2026-02-01"),
        # a row after as_of is ignored (last stays 02-01)
        meeting("n4", "set", "2027-01-05"),
    ]
    out = _outcomes(ms, fb)
    assert not out["s60"]["ended"] and out["s60"]["censored"]
    assert out["s60"]["duration_days"] == 213  # 06-01 -> 12-31: 29+31+31+30+31+30+31
    assert out["s61"]["ended"] and out["s61"]["duration_days"] == 152
    # no meeting: last = d0 = 12-01, silence 30 -> censored, duration 30
    assert out["quiet"]["last_meeting_date"] is None
    assert out["quiet"]["censored"] and out["quiet"]["duration_days"] == 30
    assert out["set"]["ended"] and out["set"]["duration_days"] == 31
    assert out["set"]["last_meeting_date"] == dt.date(2026, 2, 1)


def test_ended_when_no_meeting_and_long_silence():
    # no meetings, d0 = 2026-01-01, as_of - d0 = 364 > 60: ended with duration 0
    out = _outcomes([match("m", "n", "l", "2026-01-01T10:00Z")], [])
    assert out["m"]["ended"] and out["m"]["duration_days"] == 0


def test_first_matches_over_both_sides_and_all_matches():
    ms = matches(
        match("a", "n1", "l1", "2026-03-01T10:00Z"),
        match("b", "n1", "l2", "2026-02-01T10:00Z", ended_at="2026-02-10T10:00Z"),
        match("c", "n2", "l1", "2026-01-15T10:00Z"),
    )
    got = {
        r["participant_id"]: r["first_matched_at"]
        for r in first_matches(ms).collect().iter_rows(named=True)
    }
    assert got["n1"] == dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)
    assert got["l1"] == dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC)
    assert len(got) == 4


def test_as_of_may_be_a_timestamp():
    # 2026-12-30T23:30Z is 2026-12-31 in Berlin
    ms = [match("m", "n", "l", "2026-12-01T10:00Z")]
    a = _outcomes(ms, [], dt.datetime(2026, 12, 30, 23, 30, tzinfo=dt.UTC))["m"]
    assert a["duration_days"] == pytest.approx(30)


def test_order_of_feedback_rows_changes_nothing():
    """The asset loads meetings unsorted: any row order gives the same outcomes."""
    ms = [match(f"m{i}", f"n{i}", f"l{i}", "2026-01-01T10:00Z") for i in range(6)]
    fb = [
        meeting(
            f"{side}{i}", f"m{i}", f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}", attended=d % 5 > 0
        )
        for i in range(6)
        for d in range(0, 120, 7 + i)
        for side in "nl"
    ]
    expected = match_outcomes(matches(*ms), feedback(*fb), AS_OF).collect().sort("match_id")
    assert expected["sustained"].any() and not expected["sustained"].all()
    for seed in range(5):
        shuffled = feedback(*fb).collect().sample(fraction=1.0, shuffle=True, seed=seed)
        got = match_outcomes(matches(*ms), shuffled.lazy(), AS_OF).collect()
        assert got.sort("match_id").equals(expected)
