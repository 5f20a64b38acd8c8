import math

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings
from scipy import stats

from transforms.stats import Z, auc, greenwood_ci, kaplan_meier, t_ci, t_quantile, wilson_ci


def _wilson(k: int, n: int) -> tuple[float | None, float | None]:
    lf = pl.LazyFrame({"k": [k], "n": [n]})
    low, high = wilson_ci("k", "n")
    row = lf.select(low, high).collect().row(0)
    return row


def test_z_is_the_exact_normal_quantile():
    assert pytest.approx(stats.norm.ppf(0.975), abs=1e-15) == Z


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 7), (7, 7), (3, 4), (1, 10), (17, 40), (500, 1000)]
)
def test_wilson_matches_scipy(k, n):
    low, high = _wilson(k, n)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low == pytest.approx(ref.low, abs=1e-12)
    assert high == pytest.approx(ref.high, abs=1e-12)


def test_wilson_bounds_exact_at_k0_and_kn_and_null_at_n0():
    # k = 0: lower bound exactly 0; k = n: upper bound exactly 1
    assert _wilson(0, 5)[0] == 0.0
    assert _wilson(5, 5)[1] == 1.0
    # n = 1, k = 0: [0, z^2/(1+z^2)] = [0, 0.7934...]
    assert _wilson(0, 1) == (0.0, pytest.approx(Z**2 / (1 + Z**2)))
    assert _wilson(0, 0) == (None, None)


def test_t_quantile_matches_scipy():
    lf = pl.LazyFrame({"df": [1, 2, 3, 29, 1000, 0, None]}, schema={"df": pl.Int64})
    out = lf.select(q=t_quantile("df")).collect()["q"].to_list()
    for got, dof in zip(out[:5], [1, 2, 3, 29, 1000], strict=True):
        assert got == pytest.approx(stats.t.ppf(0.975, dof), rel=1e-14)
    assert out[5:] == [None, None]


def _t(mean, sd, n):
    lf = pl.LazyFrame(
        {"m": [mean], "s": [sd], "n": [n]},
        schema={"m": pl.Float64, "s": pl.Float64, "n": pl.Int64},
    )
    low, high = t_ci("m", "s", "n")
    return lf.select(low, high).collect().row(0)


def test_t_ci_hand_and_scipy():
    # ratings 3, 4, 5, 4: mean 4, sd = sqrt((1 + 0 + 1 + 0) / 3) = 0.8165;
    # t(0.975, 3) = 3.182446, half = 3.182446 * 0.816497 / 2 = 1.299228
    # -> [2.700772, 5.299228]
    sd = math.sqrt(2 / 3)
    low, high = _t(4.0, sd, 4)
    assert low == pytest.approx(2.700772, abs=1e-6)
    assert high == pytest.approx(5.299228, abs=1e-6)
    ref = stats.t.interval(0.95, 3, loc=4.0, scale=sd / 2)
    assert (low, high) == pytest.approx(ref, abs=1e-12)


def test_t_ci_sd_zero_and_small_n():
    assert _t(2.5, 0.0, 6) == (2.5, 2.5)
    assert _t(2.5, None, 1) == (None, None)
    assert _t(None, None, 0) == (None, None)


def test_greenwood_ci_clips_and_zero_survival():
    lf = pl.LazyFrame({"s": [0.5, 0.0, 0.95], "v": [1 / 24, float("nan"), 0.01]})
    low, high = greenwood_ci("s", "v")
    rows = lf.select(low, high).collect().rows()
    half = Z * math.sqrt(1 / 24)
    assert rows[0] == pytest.approx((0.5 - half, 0.5 + half))
    assert rows[1] == (0.0, 0.0)
    assert rows[2] == pytest.approx((0.95 - Z * 0.1, 1.0))


def _km(durations, events, horizon=182):
    lf = pl.LazyFrame({"g": ["x"] * len(durations), "duration_days": durations, "ended": events})
    return kaplan_meier(lf, ["g"], horizon).collect().row(0, named=True)


def test_kaplan_meier_greenwood_by_hand():
    # durations 10e 10e 20c 20e 30c 200e (e = event, c = censored), horizon 182:
    # t=10: at risk 6, d 2 -> 4/6; t=20: at risk 4 (the censored 20 stays in) d 1 -> 3/4;
    # 200 > 182 is ignored. S = 4/6 * 3/4 = 0.5.
    # Greenwood: S^2 * (2/(6*4) + 1/(4*3)) = 0.25 * (1/12 + 1/12) = 1/24.
    row = _km([10, 10, 20, 20, 30, 200], [True, True, False, True, False, True])
    assert row["n"] == 6
    assert row["survival"] == pytest.approx(0.5)
    assert row["variance"] == pytest.approx(1 / 24)


def test_kaplan_meier_event_exactly_at_horizon_counts():
    # event at 182 is "t <= 182": S = 1 - 1/2
    assert _km([182, 300], [True, False])["survival"] == pytest.approx(0.5)
    assert _km([183, 300], [True, False])["survival"] == pytest.approx(1.0)


def test_kaplan_meier_no_events_and_all_events():
    row = _km([5, 8], [False, False])
    assert (row["survival"], row["variance"]) == (1.0, 0.0)
    row = _km([5], [True])
    assert row["survival"] == 0.0
    assert math.isnan(row["variance"])


def _auc(scores, labels):
    lf = pl.LazyFrame({"g": [1] * len(scores), "score": scores, "label": labels})
    return auc(lf, ["g"]).collect().row(0, named=True)["auc"]


def test_auc_ties_count_half_and_rounding():
    # positives 0.9, 0.375; negatives 0.37500000000000006 (ties with 0.375 after rounding), 0.1
    # pairs (pos, neg): (0.9,0.375)=1, (0.9,0.1)=1, (0.375,0.375)=1/2, (0.375,0.1)=1 -> 3.5/4
    assert _auc([0.9, 0.375, 0.37500000000000006, 0.1], [True, True, False, False]) == 0.875
    assert _auc([0.5, 0.5], [True, False]) == 0.5
    assert _auc([0.1, 0.9], [True, False]) == 0.0
    assert _auc([0.1, 0.9], [True, True]) is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_auc_equals_pairwise_definition(rows):
    scores = [s for s, _ in rows]
    labels = [b for _, b in rows]
    pos = [s for s, b in rows if b]
    neg = [s for s, b in rows if not b]
    got = _auc(scores, labels)
    if not pos or not neg:
        assert got is None
        return
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    assert got == pytest.approx(wins / (len(pos) * len(neg)))


def test_exact_mean_and_sd_match_statistics_and_ignore_row_order() -> None:
    import random
    import statistics

    import polars as pl

    from transforms.stats import exact_mean, exact_sd

    rng = random.Random(3)
    values = [rng.random() for _ in range(2_000)]
    frames = []
    for _ in range(3):
        rng.shuffle(values)
        frames.append(
            pl.DataFrame({"g": [1] * len(values), "x": values})
            .group_by("g")
            .agg(mean=exact_mean("x", 10**12), sd=exact_sd("x", 10**12))
        )
    assert frames[0].equals(frames[1]) and frames[1].equals(frames[2])  # bit for bit
    assert abs(frames[0]["mean"][0] - statistics.fmean(values)) < 1e-12
    assert abs(frames[0]["sd"][0] - statistics.stdev(values)) < 1e-12
    ints = pl.DataFrame({"x": [1, 2, 4]}).select(m=exact_mean("x"), s=exact_sd("x"))
    # mean 7/3; var = (3 * 21 - 49) / (3 * 2) = 14/6
    assert ints.row(0) == (7 / 3, (14 / 6) ** 0.5)
    one = pl.DataFrame({"x": [5]}).select(s=exact_sd("x"))
    assert one["s"][0] is None
