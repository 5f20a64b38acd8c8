import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from transforms.scope import (
    Funder,
    Scope,
    age_band,
    as_of_date,
    berlin_date,
    in_scope,
)


def test_berlin_date_23_30z_is_next_day():
    # 2026-06-02T23:30Z = 2026-06-03 01:30 CEST; in winter 23:30Z = 00:30 CET next day,
    # and 22:59Z in winter is still the same day (23:59 CET).
    lf = pl.LazyFrame(
        {
            "t": [
                dt.datetime(2026, 6, 2, 23, 30, tzinfo=dt.UTC),
                dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.UTC),
                dt.datetime(2026, 1, 5, 22, 59, tzinfo=dt.UTC),
                dt.datetime(2026, 6, 2, 21, 59, tzinfo=dt.UTC),
            ]
        },
        schema={"t": pl.Datetime("us", "UTC")},
    )
    out = lf.select(d=berlin_date("t")).collect()["d"].to_list()
    assert out == [
        dt.date(2026, 6, 3),
        dt.date(2026, 1, 6),
        dt.date(2026, 1, 5),
        dt.date(2026, 6, 2),
    ]


def test_as_of_date():
    assert as_of_date(dt.date(2026, 6, 30)) == dt.date(2026, 6, 30)
    # an instant is cut to its Berlin date
    assert as_of_date(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)) == dt.date(2026, 7, 1)
    berlin = dt.datetime(2026, 6, 30, 23, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert as_of_date(berlin) == dt.date(2026, 6, 30)
    assert as_of_date(dt.datetime(2026, 6, 30, 23, 0)) == dt.date(2026, 6, 30)


def test_funder_end_is_min_of_period_end_and_as_of():
    f = Funder("f", "F", ("Leipzig",), dt.date(2026, 1, 1), dt.date(2026, 6, 30), "de")
    assert f.end(dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    assert f.end(dt.date(2026, 12, 1)) == dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [
        (2002, "<25"),  # 2026 - 2002 = 24
        (2001, "25-39"),  # 25
        (1987, "25-39"),  # 39
        (1986, "40-59"),  # 40
        (1967, "40-59"),  # 59
        (1966, "60+"),  # 60
        (1916, "60+"),
        (None, "unknown"),
    ],
)
def test_age_band_boundaries(birth_year, band):
    lf = pl.LazyFrame(
        {"birth_year": [birth_year], "end": [dt.date(2026, 6, 30)]},
        schema={"birth_year": pl.Int32, "end": pl.Date},
    )
    assert lf.select(b=age_band()).collect()["b"].item() == band


def test_in_scope_city_in_two_funders_uses_each_period():
    a = Funder("a", "A", ("Leipzig", "Dresden"), dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    b = Funder("b", "B", ("Leipzig",), dt.date(2026, 3, 1), dt.date(2026, 12, 31))
    scope = Scope.of([a, b], dt.date(2026, 6, 30))
    rows = pl.LazyFrame(
        {
            "id": ["jan", "mar", "jul", "dresden_jan", "halle_mar"],
            "city": ["Leipzig", "Leipzig", "Leipzig", "Dresden", "Halle"],
            "date": [
                dt.date(2026, 1, 15),
                dt.date(2026, 3, 15),
                dt.date(2026, 7, 1),  # after b's end = min(2026-12-31, as_of 2026-06-30)
                dt.date(2026, 1, 1),
                dt.date(2026, 3, 15),
            ],
        }
    )
    out = in_scope(rows, scope, date="date").collect()
    got = sorted(zip(out["funder_id"], out["id"], strict=True))
    assert got == [("a", "dresden_jan"), ("a", "jan"), ("a", "mar"), ("b", "mar")]
    ends = dict(zip(out["funder_id"], out["end"], strict=True))
    assert ends == {"a": dt.date(2026, 3, 31), "b": dt.date(2026, 6, 30)}


def test_in_scope_without_date_is_city_only():
    f = Funder("f", "F", ("Leipzig", "Leipzig"), dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    scope = Scope.of([f], dt.date(2026, 6, 30))
    rows = pl.LazyFrame({"city": ["Leipzig", "Halle"]})
    # a city listed twice counts once
    assert in_scope(rows, scope, date=None).collect().height == 1


def test_ensure_utc_and_other_zones():
    from transforms.scope import ensure_utc

    naive = pl.LazyFrame({"t": [dt.datetime(2026, 6, 2, 23, 30)]})
    out = ensure_utc(naive).select(d=berlin_date("t")).collect()["d"].item()
    assert out == dt.date(2026, 6, 3)  # naive read as UTC
    berlin = pl.LazyFrame({"t": [dt.datetime(2026, 6, 2, 23, 30)]}).with_columns(
        pl.col("t").dt.replace_time_zone("Europe/Berlin")
    )
    assert ensure_utc(berlin).select(d=berlin_date("t")).collect()["d"].item() == dt.date(
        2026, 6, 2
    )


def test_funder_cities_from_a_toml_list_become_a_tuple():
    f = Funder("f", "F", ["Leipzig", "Dresden"], dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert f.cities == ("Leipzig", "Dresden")
    assert hash(f)
