"""The solver ``max_weight_matching`` and ``propose_matches`` on hand-made cases."""

from __future__ import annotations

import os
import random

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_reference import frame, pairs, person
from scipy.optimize import linear_sum_assignment

from matching_core import PROPOSAL_COLUMNS, Weights, max_weight_matching, propose_matches
from matching_core.assign import PARALLEL_MIN_PEOPLE, _pool_size


def total(rows, cols, weights, shape) -> float:
    r, c = max_weight_matching(rows, cols, weights, shape)
    lookup = {(a, b): w for a, b, w in zip(rows, cols, weights, strict=True)}
    assert len(set(r.tolist())) == r.size and len(set(c.tolist())) == c.size
    return sum(lookup[(a, b)] for a, b in zip(r.tolist(), c.tolist(), strict=True))


def test_not_greedy():
    # Greedy takes (0, 0) = 0.9 and stops; the optimum is 0.8 + 0.7.
    r, c = max_weight_matching([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.7], (2, 2))
    assert (r.tolist(), c.tolist()) == ([0, 1], [1, 0])


def test_unmatched_allowed_and_negative_never_chosen():
    r, c = max_weight_matching([0, 1, 2], [0, 0, 1], [0.5, 0.6, -0.1], (3, 3))
    assert (r.tolist(), c.tolist()) == ([1], [0])


def test_zero_weight_edges_may_be_chosen_or_not():
    assert total([0, 1], [0, 0], [0.0, 0.3], (2, 1)) == 0.3
    assert total([0], [0], [0.0], (1, 1)) == 0.0


def test_empty_and_isolated():
    r, c = max_weight_matching([], [], [], (0, 0))
    assert r.size == c.size == 0
    r, c = max_weight_matching(np.array([], int), np.array([], int), np.array([]), (5, 3))
    assert r.size == 0
    r, c = max_weight_matching([4], [2], [1.0], (5, 3))
    assert (r.tolist(), c.tolist()) == ([4], [2])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 0], [1, 1], [0.1, 0.2], (1, 2)), "more than once"),
        (([0], [2], [0.1], (1, 2)), "outside"),
        (([0], [0], [np.nan], (1, 1)), "finite"),
        (([0], [0, 1], [0.1], (1, 2)), "one length"),
        (([0.5], [0], [0.1], (1, 2)), "integer"),
    ],
)
def test_invalid_graphs(args, message):
    with pytest.raises(ValueError, match=message):
        max_weight_matching(*args)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 9),
    n_cols=st.integers(1, 9),
    density=st.floats(0.1, 1.0),
    levels=st.sampled_from([3, 7, 1000]),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_dense_linear_sum_assignment(n_rows, n_cols, density, levels, seed):
    # Few weight levels make many ties; dense LSA with 0 for "no edge" is the reference.
    rng = np.random.default_rng(seed)
    mask = rng.random((n_rows, n_cols)) < density
    weight = rng.integers(1, levels + 1, (n_rows, n_cols)) / levels
    rows, cols = np.nonzero(mask)
    w = weight[rows, cols]
    dense = np.where(mask, weight, 0.0)
    r, c = linear_sum_assignment(dense, maximize=True)
    best = dense[r, c].sum()
    assert total(rows.tolist(), cols.tolist(), w.tolist(), (n_rows, n_cols)) == pytest.approx(
        best, abs=1e-9
    )
    shuffle = rng.permutation(rows.size)  # edges in any order
    rows, cols, w = rows[shuffle], cols[shuffle], w[shuffle]
    assert total(rows.tolist(), cols.tolist(), w.tolist(), (n_rows, n_cols)) == pytest.approx(
        best, abs=1e-9
    )


def test_propose_is_optimal_not_greedy():
    # n1-l1 is the best pair, but taking it leaves n2 and l2 alone.
    n1 = person("n1", interests=["a", "b"], languages=["de", "en"])
    n2 = person("n2", interests=["a"], languages=["en"])
    l1 = person("l1", "local", interests=["a", "b"], languages=["de", "en"])
    l2 = person("l2", "local", interests=["b"], languages=["de"])
    out = propose_matches(frame([n1, n2, l1, l2]))
    assert list(zip(out["newcomer_id"], out["local_id"], strict=True)) == [
        ("n1", "l2"),
        ("n2", "l1"),
    ]
    assert out.columns == list(PROPOSAL_COLUMNS)


def test_propose_respects_previous_matches_and_cities():
    rows = [
        person("n1", city="A"),
        person("l1", "local", city="A"),
        person("l2", "local", city="A"),
        person("n2", city="B"),
        person("l3", "local", city="C"),
    ]
    out = propose_matches(frame(rows), pairs(("n1", "l1")))
    assert out.select("newcomer_id", "local_id", "city").rows() == [("n1", "l2", "A")]


def test_propose_output_is_sorted_and_typed():
    rows = [person(f"n{k}", city=c, interests=["x", f"i{k}"]) for k, c in enumerate("BABAB")]
    rows += [
        person(f"l{k}", "local", city=c, interests=["x", f"i{k}"]) for k, c in enumerate("ABBAB")
    ]
    out = propose_matches(frame(rows))
    assert out.height == 5
    assert out.equals(out.sort("city", "newcomer_id", "local_id"))
    assert dict(out.schema) == {
        "newcomer_id": pl.String,
        "local_id": pl.String,
        "city": pl.String,
        **dict.fromkeys(PROPOSAL_COLUMNS[3:], pl.Float64),
    }


def test_propose_nobody_to_match():
    assert propose_matches(frame([])).height == 0
    assert propose_matches(frame([person("n1"), person("n2")])).height == 0
    assert propose_matches(frame([person("l1", "local")]).lazy()).height == 0


def test_propose_with_min_score_zero():
    # Weights that make some eligible pairs score 0: choosing them or not is optimal.
    w = Weights(interests=1.0, language=0.0, availability=0.0, district=0.0, age=0.0)
    rows = [
        person("n1", interests=["a"]),
        person("n2", interests=["z"]),
        person("l1", "local", interests=["a"]),
        person("l2", "local", interests=["y"]),
    ]
    out = propose_matches(frame(rows), weights=w, min_score=0.0)
    assert out["score"].sum() == 1.0
    assert ("n1", "l1") in set(zip(out["newcomer_id"], out["local_id"], strict=True))
    assert propose_matches(frame(rows), weights=w, min_score=0.0).equals(out)


def test_docstring_examples():
    import doctest

    import matching_core.assign
    import matching_core.score

    for module in (matching_core.assign, matching_core.score):
        assert doctest.testmod(module).failed == 0


def random_population(seed: int, n_people: int, cities: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """People spread over ``cities`` (uneven sizes) and some earlier pairs among them."""
    rnd = random.Random(seed)
    slots = ["mon_evening", "tue_evening", "sat_morning", "sun_afternoon"]
    rows = [
        person(
            f"p{k:04d}",
            group=rnd.choice(["newcomer", "local"]),
            city=rnd.choice(cities),
            district=rnd.choice(["x", "y", None]),
            birth_year=rnd.choice([None, 1950, 1970, 1985, 1990, 2000]),
            gender=rnd.choice(["female", "male", "diverse", "unspecified"]),
            gender_preference=rnd.choice(["any", "any", "any", "same"]),
            languages=rnd.sample(["de", "en", "ar", "uk"], rnd.randint(1, 2)),
            learning_languages=rnd.sample(["de", "en", "ar", "uk"], rnd.randint(0, 2)),
            interests=rnd.sample(["chess", "cooking", "hiking", "music", "art"], rnd.randint(1, 3)),
            availability=rnd.sample(slots, rnd.randint(0, 3)),
        )
        for k in rnd.sample(range(n_people), n_people)  # ids in random row order
    ]
    people = frame(rows)
    news = people.filter(pl.col("group") == "newcomer")["participant_id"].to_list()
    locs = people.filter(pl.col("group") == "local")["participant_id"].to_list()
    earlier = {(rnd.choice(news), rnd.choice(locs)) for _ in range(n_people // 4)}
    return people, pairs(*sorted(earlier))


def test_parallel_equals_sequential():
    # Uneven cities ("A" largest), earlier pairs, and a city with newcomers only.
    people, earlier = random_population(7, 600, "AAAAABBBCCDE")
    people = pl.concat([people, frame([person("z1", city="Z"), person("z2", city="Z")])])
    sequential = propose_matches(people, earlier, workers=1)
    parallel = propose_matches(people, earlier, workers=2)
    assert parallel.equals(sequential)
    assert sequential["city"].n_unique() >= 4  # several cities have pairs
    assert sequential.height > 100


def test_pool_size():
    assert _pool_size(None, PARALLEL_MIN_PEOPLE - 1, 80) == 1  # too small to pay the pool
    assert _pool_size(None, 10**6, 1) == 1  # one city: nothing to share
    assert _pool_size(None, 10**6, 80) == min(len(os.sched_getaffinity(0)), 80)
    assert _pool_size(2, 10, 80) == 2  # forced, even on a small input
    assert _pool_size(8, 10**6, 3) == 3  # never more than the cities
    assert _pool_size(1, 10**6, 80) == 1


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_invalid_workers(workers):
    with pytest.raises(ValueError, match="workers"):
        propose_matches(frame([person("n1"), person("l1", "local")]), workers=workers)
