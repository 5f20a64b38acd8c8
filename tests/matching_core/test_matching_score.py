"""Each score part of MATCHING.md, and the public ``score_pairs``."""

from __future__ import annotations

import math

import polars as pl
import pytest
from matching_reference import frame, pairs, person
from matching_reference import parts as ref_parts
from matching_reference import score as ref_score

from matching_core import SCORE_COLUMNS_OUT, Weights, score_pairs


def one(n: dict, loc: dict, weights: Weights | None = None) -> dict[str, float]:
    out = score_pairs(
        pairs((n["participant_id"], loc["participant_id"])), frame([n, loc]), weights=weights
    )
    return out.select(SCORE_COLUMNS_OUT).row(0, named=True)


def test_defaults_score():
    got = one(person("n"), person("l", "local"))
    assert got == {
        "score": pytest.approx(0.525, abs=1e-15),
        "score_interests": 1.0,
        "score_language": 0.0,
        "score_availability": 0.5,
        "score_district": 0.0,
        "score_age": 0.5,
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["chess", "cooking"], ["cooking", "hiking"], 1 / 3),
        (["chess"], ["chess"], 1.0),
        (["chess"], ["hiking"], 0.0),
        (["chess", "chess", "yoga"], ["yoga"], 0.5),  # lists are sets
        ([], [], 0.0),  # no interest at all: nothing shared
    ],
)
def test_interests_jaccard(a, b, expected):
    got = one(person("n", interests=a), person("l", "local", interests=b))
    assert got["score_interests"] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    ("n_fields", "l_fields", "expected"),
    [
        ({"learning_languages": ["de"]}, {"languages": ["de"]}, 0.5),
        ({"languages": ["ar", "en"]}, {"learning_languages": ["ar"], "languages": ["en"]}, 0.5),
        (
            {"languages": ["ar", "en"], "learning_languages": ["de"]},
            {"languages": ["de", "en"], "learning_languages": ["ar"]},
            1.0,
        ),
        ({"learning_languages": ["fr"]}, {"languages": ["de"]}, 0.0),
        ({"learning_languages": None}, {"learning_languages": None}, 0.0),  # null is empty
    ],
)
def test_language(n_fields, l_fields, expected):
    got = one(person("n", **n_fields), person("l", "local", **l_fields))
    assert got["score_language"] == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["mon_evening", "tue_evening"], ["mon_evening", "sun_morning", "sat_evening"], 0.5),
        (["mon_evening"], ["mon_evening", "sun_morning"], 1.0),  # divided by the smaller set
        (["mon_evening"], ["tue_evening"], 0.0),  # (then not eligible, but scorable)
        ([], ["mon_evening"], 0.5),  # one lists nothing
        ([], [], 0.5),
        (None, ["mon_evening"], 0.5),
    ],
)
def test_availability(a, b, expected):
    got = one(person("n", availability=a), person("l", "local", availability=b))
    assert got["score_availability"] == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("Mitte", "Mitte", 1.0), ("Mitte", "mitte", 0.0), ("Mitte", None, 0.0), (None, None, 0.0)],
)
def test_district_exact_and_known(a, b, expected):
    got = one(person("n", district=a), person("l", "local", district=b))
    assert got["score_district"] == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1990, 1990, 1.0),
        (1990, 2000, 0.75),
        (2000, 1990, 0.75),
        (1950, 1990, 0.0),
        (1940, 2005, 0.0),  # capped at 40 years
        (None, 1990, 0.5),  # unknown birth year
        (None, None, 0.5),
    ],
)
def test_age(a, b, expected):
    got = one(person("n", birth_year=a), person("l", "local", birth_year=b))
    assert got["score_age"] == pytest.approx(expected, abs=1e-15)


def test_weighted_sum_and_custom_weights():
    n = person("n", interests=["a", "b"], learning_languages=["de"], district="X", birth_year=1990)
    loc = person(
        "l", "local", interests=["b"], availability=["mon_evening"], district="X", birth_year=2010
    )
    got = one(n, loc)
    assert got["score"] == pytest.approx(0.4 * 0.5 + 0.25 * 0.5 + 0.15 * 0.5 + 0.1 + 0.1 * 0.5)
    assert got["score"] == ref_score(n, loc)
    w = Weights(interests=1.0, language=0.0, availability=0.0, district=0.0, age=0.0)
    assert one(n, loc, w)["score"] == 0.5


def test_score_is_symmetric_in_profiles():
    n = person(
        "n", interests=["a"], learning_languages=["en"], availability=["x", "y"], birth_year=1970
    )
    loc = person("l", "local", languages=["en", "de"], interests=["a", "b"], availability=["y"])
    swapped = score_pairs(pairs(("l", "n")), frame([n, loc]))
    assert swapped["score"][0] == one(n, loc)["score"]


def test_keeps_row_order_and_other_columns():
    people = frame(
        [person(f"p{k}", interests=[f"i{k % 3}"], birth_year=1960 + k) for k in range(6)]
    )
    todo = pl.DataFrame(
        {"newcomer_id": ["p5", "p0", "p3", "p0"], "local_id": ["p1", "p2", "p4", "p1"]}
    )
    todo = todo.with_columns(match_id=pl.Series(["m1", "m2", "m3", "m4"]))
    out = score_pairs(todo.lazy(), people.lazy())
    assert out.columns == ["newcomer_id", "local_id", "match_id", *SCORE_COLUMNS_OUT]
    assert out["match_id"].to_list() == ["m1", "m2", "m3", "m4"]
    rows = {r["participant_id"]: r for r in people.to_dicts()}
    for r in out.to_dicts():
        expected = ref_parts(rows[r["newcomer_id"]], rows[r["local_id"]])
        assert [
            r[f"score_{p}"] for p in ("interests", "language", "availability", "district", "age")
        ] == (pytest.approx(list(expected), abs=1e-15))


def test_existing_score_columns_are_replaced():
    people = frame([person("n"), person("l", "local")])
    first = score_pairs(pairs(("n", "l")), people)
    again = score_pairs(first, people)
    assert again.columns == first.columns
    assert again.equals(first)


def test_separate_local_profiles():
    news = frame([person("x", interests=["a"])])
    locs = frame([person("x", "local", interests=["a", "b"])])  # same id, other table
    out = score_pairs(pairs(("x", "x")), news, locs)
    assert out["score_interests"][0] == 0.5


def test_many_distinct_values_use_several_words():
    # 150 interests and 70 languages: bitsets of more than one 64-bit word.
    rows = []
    for k in range(12):
        rows.append(
            person(
                f"p{k}",
                interests=[f"i{(k * 13 + t * 7) % 150}" for t in range(40)],
                languages=[f"l{(k * 5 + t) % 70}" for t in range(8)],
                learning_languages=[f"l{(k * 11 + t) % 70}" for t in range(3)],
                availability=[f"s{(k + t) % 21}" for t in range(5)],
            )
        )
    people = frame(rows)
    todo = pairs(*[(f"p{a}", f"p{b}") for a in range(12) for b in range(12)])
    out = score_pairs(todo, people)
    by_id = {r["participant_id"]: r for r in rows}
    for r in out.to_dicts():
        assert r["score"] == pytest.approx(
            ref_score(by_id[r["newcomer_id"]], by_id[r["local_id"]]), abs=1e-12
        )


def test_empty_pairs():
    out = score_pairs(pairs(), frame([person("n")]))
    assert out.height == 0
    assert out.columns == ["newcomer_id", "local_id", *SCORE_COLUMNS_OUT]


def test_unknown_id_is_an_error():
    with pytest.raises(ValueError, match=r"local_id not found.*\['ghost'\]"):
        score_pairs(pairs(("n", "ghost")), frame([person("n")]))


def test_duplicate_profile_is_an_error():
    with pytest.raises(ValueError, match="not unique"):
        score_pairs(pairs(("n", "n")), frame([person("n"), person("n")]))


def test_missing_column_is_an_error():
    with pytest.raises(ValueError, match="interests"):
        score_pairs(pairs(("n", "n")), frame([person("n")]).drop("interests"))


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_weights_are_validated(bad):
    with pytest.raises(ValueError, match="interests"):
        Weights(interests=bad)


def test_weights_defaults():
    w = Weights()
    assert (w.interests, w.language, w.availability, w.district, w.age) == (
        0.4,
        0.25,
        0.15,
        0.1,
        0.1,
    )
    assert w.total == pytest.approx(1.0)
    with pytest.raises(AttributeError):
        w.age = 0.5  # type: ignore[misc]
