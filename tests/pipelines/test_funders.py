"""`BT_FUNDERS` parsing: valid scopes load in order; every error names the file and the line."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.funders import FundersError, parse_funders

VALID = """\
# two funders
[[funder]]
id = "esf-zukunftsplattform"
name = "Zukunftsplattform Soziale Innovationen (ESF Plus)"
cities = ["Dresden", " Chemnitz "]
period_start = 2026-01-01
period_end = 2026-06-30
language = "de"

[[funder]]
id = "stadt-leipzig"
name = "Stadt Leipzig"
cities = ["Leipzig"]
period_start = 2026-01-01
period_end = 2026-12-31
language = "en"
"""


def test_valid_funders_keep_order_and_trim_cities() -> None:
    funders = parse_funders(VALID)
    assert [f.id for f in funders] == ["esf-zukunftsplattform", "stadt-leipzig"]
    assert funders[0].cities == ("Dresden", "Chemnitz")
    assert funders[0].period_end == dt.date(2026, 6, 30)
    assert funders[0].language == "de"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "stadt-leipzig"', 'id = "../etc"', "funders.toml, line 11: id must be"),
        ('id = "stadt-leipzig"', 'id = "a/b"', "funders.toml, line 11: id must be"),
        ('id = "stadt-leipzig"', 'id = "Stadt"', "funders.toml, line 11: id must be"),
        (
            'id = "stadt-leipzig"',
            'id = "esf-zukunftsplattform"',
            "line 11: id 'esf-zukunftsplattform' is used twice",
        ),
        ('cities = ["Leipzig"]', "cities = []", "line 13: cities must be"),
        ("period_end = 2026-12-31", "period_end = 2025-12-31", "line 15: period_end is before"),
        (
            "period_end = 2026-12-31",
            'period_end = "soon"',
            "line 15: period_end must be a TOML date",
        ),
        ('language = "en"', 'language = "fr"', "line 16: language must be"),
        ('name = "Stadt Leipzig"', 'name = ""', "line 12: name must be"),
    ],
)
def test_errors_name_the_line(old: str, new: str, message: str) -> None:
    assert VALID.count(old) == 1 or old.startswith("id")
    text = VALID[::-1].replace(old[::-1], new[::-1], 1)[::-1]  # replace the last occurrence
    with pytest.raises(FundersError, match=message.replace("(", r"\(")):
        parse_funders(text)


def test_syntax_error_names_line() -> None:
    with pytest.raises(FundersError, match=r"funders.toml: .*line 2"):
        parse_funders("[[funder]]\nid = \n")
