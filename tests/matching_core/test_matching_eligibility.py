"""Eligibility rules 1-6 of MATCHING.md, one by one, through ``candidate_pairs``."""

from __future__ import annotations

import polars as pl
import pytest
from matching_reference import frame, pairs, person

from matching_core import PROPOSAL_COLUMNS, Weights, candidate_pairs


def eligible(n: dict, loc: dict, previous: pl.DataFrame | None = None, **kwargs) -> bool:
    out = candidate_pairs(frame([n, loc]), previous, **kwargs)
    assert out.height <= 1
    return out.height == 1


def test_baseline_pair_is_eligible():
    assert eligible(person("n"), person("l", "local"))


def test_rule1_same_city():
    assert not eligible(person("n", city="Berlin"), person("l", "local", city="Leipzig"))
    assert not eligible(person("n", city="Berlin"), person("l", "local", city="berlin"))


def test_rule2_shared_language():
    assert not eligible(person("n", languages=["ar"]), person("l", "local", languages=["de"]))
    assert eligible(
        person("n", languages=["ar", "en"]), person("l", "local", languages=["de", "en"])
    )
    # learning a language is not speaking it
    assert not eligible(
        person("n", languages=["ar"], learning_languages=["de"]),
        person("l", "local", languages=["de"], learning_languages=["ar"]),
    )


@pytest.mark.parametrize(
    ("n_gender", "n_pref", "l_gender", "l_pref", "expected"),
    [
        ("female", "same", "female", "any", True),
        ("female", "any", "female", "same", True),
        ("female", "same", "female", "same", True),
        ("female", "same", "male", "any", False),
        ("male", "any", "female", "same", False),
        ("diverse", "same", "diverse", "any", True),
        ("unspecified", "same", "unspecified", "any", False),  # never met with unspecified
        ("unspecified", "any", "unspecified", "same", False),
        (None, "same", None, "same", False),  # null gender is unspecified
        (None, "any", "female", "any", True),  # no 'same': gender does not matter
        ("unspecified", "any", "male", "any", True),
    ],
)
def test_rule3_gender_preference(n_gender, n_pref, l_gender, l_pref, expected):
    n = person("n", gender=n_gender, gender_preference=n_pref)
    loc = person("l", "local", gender=l_gender, gender_preference=l_pref)
    assert eligible(n, loc) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["mon_evening"], ["tue_evening"], False),
        (["mon_evening", "tue_evening"], ["tue_evening"], True),
        ([], ["tue_evening"], True),  # "lists availability" means a non-empty list
        (["mon_evening"], [], True),
        ([], [], True),
        (None, ["tue_evening"], True),
    ],
)
def test_rule4_shared_slot_when_both_list(a, b, expected):
    assert eligible(person("n", availability=a), person("l", "local", availability=b)) is expected


def test_rule5_never_matched_before():
    people = frame([person("n1"), person("n2"), person("l1", "local"), person("l2", "local")])
    previous = pairs(("n1", "l1"), ("n2", "ghost"))  # ended or not; unknown ids are ignored
    got = candidate_pairs(people, previous)
    assert set(zip(got["newcomer_id"], got["local_id"], strict=True)) == {
        ("n1", "l2"),
        ("n2", "l1"),
        ("n2", "l2"),
    }
    assert candidate_pairs(people, previous.lazy()).equals(got)


def test_rule6_score_exactly_min_score_is_eligible():
    # 0.25 * 0.5 (n learns de) + 0.15 * 0.5 (n lists no slot) = 0.2 exactly
    n = person("n", languages=["en"], learning_languages=["de"], interests=["a"], birth_year=1950)
    loc = person(
        "l", "local", languages=["de", "en"], interests=["b"], availability=["x"], birth_year=1995
    )
    out = candidate_pairs(frame([n, loc]))
    assert out.height == 1
    assert round(out["score"][0], 12) == 0.2
    assert not eligible(n, loc, min_score=0.2 + 1e-9)


def test_rule6_rounds_to_12_decimals_before_comparing():
    # 0.15 * 0.5 + 0.1 * 1 + 0.1 * 0.25 is 0.19999999999999998 in float64
    n = person("n", interests=["a"], district="X", birth_year=1960)
    loc = person("l", "local", interests=["b"], availability=["x"], district="X", birth_year=1990)
    out = candidate_pairs(frame([n, loc]), min_score=0.0)
    assert out["score"][0] < 0.2
    assert eligible(n, loc)


def test_rule6_below_min_score():
    # 0.15 * 0.25 + 0.1 * 0.5 = 0.0875
    n = person("n", interests=["a"], availability=["w", "x", "y", "z"])
    loc = person("l", "local", interests=["b"], availability=["x", "q", "r", "s"])
    assert not eligible(n, loc)
    assert eligible(n, loc, min_score=0.08)
    assert not eligible(n, loc, weights=Weights(availability=0.0), min_score=0.08)


def test_null_district_and_null_learning_languages():
    n = person("n", district=None, learning_languages=None)
    loc = person("l", "local", district=None, learning_languages=None)
    out = candidate_pairs(frame([n, loc]))
    assert out["score_district"].to_list() == [0.0]
    assert out["score_language"].to_list() == [0.0]


def test_output_shape_and_order():
    rows = [person(f"n{k}", city=c) for k, c in enumerate(["B", "A", "B"])]
    rows += [person(f"l{k}", "local", city=c) for k, c in enumerate(["A", "B", "B"])]
    out = candidate_pairs(frame(rows).sample(fraction=1.0, shuffle=True, seed=3))
    assert out.columns == list(PROPOSAL_COLUMNS)
    assert out.schema["score"] == pl.Float64
    assert list(zip(out["city"], out["newcomer_id"], out["local_id"], strict=True)) == [
        ("A", "n1", "l0"),
        ("B", "n0", "l1"),
        ("B", "n0", "l2"),
        ("B", "n2", "l1"),
        ("B", "n2", "l2"),
    ]


def test_newcomers_with_newcomers_never_pair():
    out = candidate_pairs(frame([person("n1"), person("n2"), person("l1", "local")]))
    assert out["local_id"].to_list() == ["l1", "l1"]


def test_empty_input():
    out = candidate_pairs(frame([]))
    assert out.height == 0
    assert out.columns == list(PROPOSAL_COLUMNS)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([person("n"), person("n", "local")], "not unique"),
        ([person("n", group="mentor")], "group"),
        ([person("n", city=None)], "city"),
    ],
)
def test_invalid_participants(rows, message):
    with pytest.raises(ValueError, match=message):
        candidate_pairs(frame(rows))


def test_missing_column_and_bad_min_score():
    with pytest.raises(ValueError, match="gender_preference"):
        candidate_pairs(frame([person("n")]).drop("gender_preference"))
    with pytest.raises(ValueError, match="min_score"):
        candidate_pairs(frame([person("n")]), min_score=float("nan"))
    with pytest.raises(TypeError, match="DataFrame"):
        candidate_pairs([person("n")])  # type: ignore[arg-type]
