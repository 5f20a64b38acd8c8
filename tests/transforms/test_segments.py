import datetime as dt

import polars as pl

from transforms.scope import Funder, Scope
from transforms.segments import (
    AREA,
    PARTICIPANT,
    explode_segments,
    per_segment,
    segment_list,
    suppress,
)

FUNDER = Funder(
    "f", "F", ("Chemnitz", "Leipzig", "Dresden"), dt.date(2026, 1, 1), dt.date(2026, 6, 30)
)
SCOPE = Scope.of([FUNDER], dt.date(2026, 12, 31))


def test_segment_list_fixed_order():
    segs = segment_list(SCOPE, PARTICIPANT).collect()
    assert segs["segment"].to_list() == [
        "all",
        "city=Chemnitz",  # TOML order, not alphabetical
        "city=Leipzig",
        "city=Dresden",
        "group=newcomer",
        "group=local",
        "gender=female",
        "gender=male",
        "gender=diverse",
        "gender=unspecified",
        "age=<25",
        "age=25-39",
        "age=40-59",
        "age=60+",
        "age=unknown",
    ]
    assert segs["seg_order"].to_list() == list(range(15))
    assert segment_list(SCOPE, AREA).collect()["segment"].to_list()[1:] == [
        "city=Chemnitz",
        "city=Leipzig",
        "city=Dresden",
    ]


def test_explode_drops_out_of_scope_city_but_keeps_all():
    units = pl.LazyFrame(
        {
            "funder_id": ["f", "f"],
            "city": ["Leipzig", "Halle"],
            "group": ["local", "local"],
            "gender": ["male", "male"],
            "age_band": ["60+", "unknown"],
        }
    )
    out = per_segment(units, SCOPE, PARTICIPANT, n=pl.len()).collect()
    n = dict(zip(out["segment"], out["n"], strict=True))
    assert n["all"] == 2
    assert n["city=Leipzig"] == 1
    assert n["city=Chemnitz"] is None  # empty cell: filled by the finish_* helpers
    assert n["group=local"] == 2
    assert n["age=60+"] == 1 and n["age=unknown"] == 1
    assert "city=Halle" not in n
    assert explode_segments(units, SCOPE, AREA).collect().height == 3  # all, all, city=Leipzig


def _suppressed(ns: dict[str, int], families=PARTICIPANT, metric="m") -> set[str]:
    segs = segment_list(SCOPE, families).collect()
    cells = segs.with_columns(
        n=pl.col("segment").replace_strict(ns, default=0, return_dtype=pl.Int64),
        metric_id=pl.lit(metric),
    )
    out = suppress(cells.lazy()).collect()
    return set(out.filter("suppressed")["segment"].to_list())


def test_primary_only_0_lt_n_lt_5():
    # n = 4 suppressed, n = 5 not, n = 0 never; `all` can be primarily suppressed
    got = _suppressed({"all": 4, "city=Chemnitz": 4}, AREA)
    assert got == {"all", "city=Chemnitz"}
    assert _suppressed({"all": 5, "city=Chemnitz": 5}, AREA) == set()
    assert _suppressed({}, AREA) == set()


def test_secondary_in_cities_smallest_other_nonzero():
    # Chemnitz 3 (primary), Leipzig 10, Dresden 8 -> Dresden (8 < 10); `all` (21) is in no family
    got = _suppressed({"all": 21, "city=Chemnitz": 3, "city=Leipzig": 10, "city=Dresden": 8}, AREA)
    assert got == {"city=Chemnitz", "city=Dresden"}


def test_secondary_tie_goes_to_first_in_segment_order():
    # Dresden 2 (primary); Chemnitz 7 and Leipzig 7 tie -> Chemnitz comes first
    got = _suppressed({"all": 16, "city=Chemnitz": 7, "city=Leipzig": 7, "city=Dresden": 2}, AREA)
    assert got == {"city=Dresden", "city=Chemnitz"}


def test_no_other_nonzero_cell_means_nothing_more():
    # Chemnitz 2 is the only non-zero city: nothing to pair it with
    assert _suppressed({"all": 2, "city=Chemnitz": 2}, AREA) == {"all", "city=Chemnitz"}
    # groups: newcomer 3, local 0
    got = _suppressed({"all": 9, "city=Leipzig": 9, "group=newcomer": 3, "gender=female": 9})
    assert got == {"group=newcomer"}


def test_two_primary_cells_no_secondary():
    # Chemnitz 2 and Leipzig 3 both primary: exactly-one rule does not apply; Dresden 9 stays
    got = _suppressed({"all": 14, "city=Chemnitz": 2, "city=Leipzig": 3, "city=Dresden": 9}, AREA)
    assert got == {"city=Chemnitz", "city=Leipzig"}


def test_secondary_in_groups_genders_and_age_bands_one_pass_each():
    ns = {
        "all": 20,
        "city=Leipzig": 20,  # single non-zero city: nothing
        # groups: local 4 primary -> newcomer 16 secondary
        "group=newcomer": 16,
        "group=local": 4,
        # genders: female 3 primary; male 5, unspecified 12 -> male secondary (no cascade:
        # male's suppression does not pull in unspecified)
        "gender=female": 3,
        "gender=male": 5,
        "gender=unspecified": 12,
        # ages: 60+ 2 primary; 25-39, 40-59, unknown all 6 -> 25-39 (first of the tie)
        "age=25-39": 6,
        "age=40-59": 6,
        "age=60+": 2,
        "age=unknown": 6,
    }
    assert _suppressed(ns) == {
        "group=local",
        "group=newcomer",
        "gender=female",
        "gender=male",
        "age=60+",
        "age=25-39",
    }


def test_suppression_is_per_metric_and_funder():
    segs = segment_list(SCOPE, AREA).collect()
    n_a = {"all": 12, "city=Chemnitz": 2, "city=Leipzig": 10}
    n_b = {"all": 12, "city=Chemnitz": 6, "city=Leipzig": 6}
    cells = pl.concat(
        [
            segs.with_columns(
                n=pl.col("segment").replace_strict(ns, default=0, return_dtype=pl.Int64),
                metric_id=pl.lit(m),
            )
            for m, ns in (("a", n_a), ("b", n_b))
        ]
    )
    out = suppress(cells.lazy()).collect().filter("suppressed")
    assert sorted(zip(out["metric_id"], out["segment"], strict=True)) == [
        ("a", "city=Chemnitz"),
        ("a", "city=Leipzig"),
    ]
