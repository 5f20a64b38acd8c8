"""Property-based tests on random small populations, against the plain-Python reference."""

from __future__ import annotations

import networkx as nx
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_reference import brute_force_optimum, eligible_pairs, frame, person
from matching_reference import parts as ref_parts

from matching_core import Weights, candidate_pairs, propose_matches

LANGS = ["de", "en", "ar"]
SPOKEN = [["de"], ["de"], ["de", "en"], ["en"], ["ar"], ["ar", "de"], ["ar", "en"]]
INTERESTS = ["chess", "cooking", "hiking", "music"]
SLOTS = ["mon_evening", "tue_evening", "sat_morning", "sun_afternoon"]
WEIGHT_CHOICES = [
    Weights(),
    Weights(interests=0.5, language=0.5, availability=0.0, district=0.0, age=0.0),
    Weights(interests=0.1, language=0.1, availability=0.3, district=0.3, age=0.2),
]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def populations(draw, max_people: int = 12):
    n = draw(st.integers(0, max_people) | st.integers(max_people // 2, max_people))
    ids = draw(st.permutations(range(n)))
    rows = []
    for k in range(n):
        rows.append(
            person(
                f"p{ids[k]:02d}",
                group=draw(st.sampled_from(["newcomer", "local"])),
                city=draw(st.sampled_from(["A", "A", "A", "B"])),
                district=draw(st.sampled_from(["x", "y", None])),
                birth_year=draw(
                    st.one_of(st.none(), st.sampled_from([1950, 1970, 1980, 1990, 2000]))
                ),
                gender=draw(st.sampled_from(["female", "male", "diverse", "unspecified", None])),
                gender_preference=draw(st.sampled_from(["any", "any", "same"])),
                languages=draw(
                    st.lists(st.sampled_from(LANGS), min_size=1, max_size=2, unique=True)
                ),
                learning_languages=draw(
                    st.one_of(st.none(), st.lists(st.sampled_from(LANGS), max_size=2, unique=True))
                ),
                interests=draw(
                    st.lists(st.sampled_from(INTERESTS), min_size=1, max_size=3, unique=True)
                ),
                availability=draw(st.lists(st.sampled_from(SLOTS), max_size=3, unique=True)),
            )
        )
    people = frame(rows)
    news = [r["participant_id"] for r in rows if r["group"] == "newcomer"]
    locs = [r["participant_id"] for r in rows if r["group"] == "local"]
    previous = []
    if news and locs:
        previous = draw(
            st.lists(
                st.tuples(st.sampled_from(news), st.sampled_from(locs)), max_size=4, unique=True
            )
        )
    prev = pl.DataFrame(
        {"newcomer_id": [a for a, _ in previous], "local_id": [b for _, b in previous]},
        schema={"newcomer_id": pl.String, "local_id": pl.String},
    )
    weights = draw(st.sampled_from(WEIGHT_CHOICES))
    min_score = draw(st.sampled_from([0.2, 0.2, 0.0, 0.35]))
    return people, prev, weights, min_score


def as_tuple(w: Weights) -> tuple[float, ...]:
    return (w.interests, w.language, w.availability, w.district, w.age)


@SETTINGS
@given(populations())
def test_candidates_equal_reference(case):
    people, prev, weights, min_score = case
    got = candidate_pairs(people, prev, weights=weights, min_score=min_score)
    expected = eligible_pairs(people, prev, as_tuple(weights), min_score)
    assert set(zip(got["newcomer_id"], got["local_id"], strict=True)) == set(expected)
    rows = {r["participant_id"]: r for r in people.to_dicts()}
    for r in got.to_dicts():
        assert r["score"] == pytest.approx(expected[(r["newcomer_id"], r["local_id"])], abs=1e-15)
        n, loc = rows[r["newcomer_id"]], rows[r["local_id"]]
        assert r["city"] == n["city"] == loc["city"]
        got_parts = [
            r[f"score_{p}"] for p in ("interests", "language", "availability", "district", "age")
        ]
        assert got_parts == pytest.approx(list(ref_parts(n, loc)), abs=1e-15)


@SETTINGS
@given(populations())
def test_proposals_are_eligible_disjoint_and_optimal(case):
    people, prev, weights, min_score = case
    out = propose_matches(people, prev, weights=weights, min_score=min_score)
    edges = eligible_pairs(people, prev, as_tuple(weights), min_score)
    chosen = list(zip(out["newcomer_id"], out["local_id"], strict=True))
    assert all(pair in edges for pair in chosen)
    assert len(set(out["newcomer_id"])) == out.height
    assert len(set(out["local_id"])) == out.height
    for pair, s in zip(chosen, out["score"], strict=True):
        assert s == pytest.approx(edges[pair], abs=1e-15)
    assert out["score"].sum() == pytest.approx(brute_force_optimum(edges), abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(max_people=40))
def test_total_equals_networkx_optimum(case):
    people, prev, weights, min_score = case
    out = propose_matches(people, prev, weights=weights, min_score=min_score)
    graph = nx.Graph()
    for (a, b), w in eligible_pairs(people, prev, as_tuple(weights), min_score).items():
        graph.add_edge(("n", a), ("l", b), weight=w)
    best = nx.max_weight_matching(graph)
    optimum = sum(graph.edges[u, v]["weight"] for u, v in best)
    assert out["score"].sum() == pytest.approx(optimum, abs=1e-9)


@SETTINGS
@given(populations(max_people=20), st.randoms(use_true_random=False))
def test_same_input_in_any_order_gives_same_output(case, rnd):
    people, prev, weights, min_score = case
    first = propose_matches(people, prev, weights=weights, min_score=min_score)
    order = list(range(people.height))
    rnd.shuffle(order)
    prev_order = list(range(prev.height))
    rnd.shuffle(prev_order)
    shuffled = propose_matches(
        people[order].lazy(), prev[prev_order], weights=weights, min_score=min_score
    )
    assert shuffled.equals(first)
    assert candidate_pairs(people[order], prev, weights=weights, min_score=min_score).equals(
        candidate_pairs(people, prev, weights=weights, min_score=min_score)
    )
