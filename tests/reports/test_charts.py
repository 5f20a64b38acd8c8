"""Every shape of chart spec the report builds is valid Vega-Lite.

Reports render specs without Altair's JSON-schema validation (it took a third of a
report's HTML time), so the validation happens here, on each builder and each branch
of it, in both languages.
"""

from __future__ import annotations

import altair as alt
import pytest
from altair.utils.schemapi import SchemaValidationError

from reports.charts import (
    MonthPoint,
    SurveyPoint,
    SurvivalPoint,
    monthly_chart,
    monthly_spec,
    survey_spec,
    survival_spec,
)

MONTHS = [
    MonthPoint("2026-01", 120, 40),
    MonthPoint("2026-02", None, 3),  # suppressed registrations: a triangle marker
    MonthPoint("2026-03", 0, None),
]
MANY_MONTHS = [MonthPoint(f"2025-{m:02d}", 10 * m, m) for m in range(1, 13)]  # slanted labels
SURVEY = [
    SurveyPoint("belonging", "3m", 0.4, 0.1, 0.7, "n = 40"),
    SurveyPoint("belonging", "6m", -0.2, None, None, "n = 6"),
    SurveyPoint("outgroup_attitude", "3m", 5.5, 1.0, 10.0, "n = 40", thermometer=True),
]
SURVIVAL = [SurvivalPoint(0, 1.0, None, None), SurvivalPoint(30, 0.8, 0.7, 0.9)]


def _specs(lang: str) -> list[alt.TopLevelMixin]:
    return [
        monthly_spec(MONTHS, lang),
        monthly_spec(MANY_MONTHS, lang),
        monthly_spec(MONTHS[:1], lang),  # nothing suppressed: bars only
        survey_spec(SURVEY, lang, ["3m", "6m"]),  # two panels
        survey_spec(SURVEY[:2], lang, ["3m", "6m"]),  # scale items only
        survey_spec(SURVEY[2:], lang, ["3m"]),  # thermometer only
        survival_spec(SURVIVAL, lang),
        survival_spec(SURVIVAL, lang, horizon=90),
    ]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_chart_spec_validates_and_renders_unvalidated_as_validated(lang: str) -> None:
    for spec in _specs(lang):
        validated = spec.to_dict()  # raises SchemaValidationError on an invalid spec
        assert spec.to_dict(validate=False) == validated


def test_an_invalid_spec_is_caught_by_this_validation() -> None:
    broken = monthly_spec(MONTHS, "en").encode(x=alt.X("month:N", bin="yes please"))
    with pytest.raises(SchemaValidationError):
        broken.to_dict()


def test_a_chart_renders_to_checked_svg() -> None:
    svg = monthly_chart(MONTHS, "de")
    assert svg.startswith("<svg") and "Anmeldungen</text>" in svg
