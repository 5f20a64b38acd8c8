"""Report charts as inline SVG, drawn offline with Altair and vl-convert (no JavaScript, no CDN).

Text stays ``<text>`` in DejaVu Sans, the font WeasyPrint embeds, so chart labels are
searchable in the PDF. Charts only ever receive published figures: suppressed months
arrive as ``None`` and are drawn as a marker on the baseline, never as a number.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert

from reports.labels import TEXT

__all__ = [
    "MonthPoint",
    "SurveyPoint",
    "SurvivalPoint",
    "monthly_chart",
    "monthly_spec",
    "survey_chart",
    "survey_spec",
    "survival_chart",
    "survival_spec",
    "to_svg",
]

FONT = "DejaVu Sans"
WIDTH = 590
COLOURS = ("#2f6690", "#d1730e")
MARKER = "#555555"
SIGNED_LABEL = "datum.value > 0 ? '+' + datum.label : datum.label"
_D3_LOCALES: dict[str, dict[str, Any]] = {
    "de": {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", " €"],
        "percent": "\u00a0%",
        "minus": "-",
    },
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""], "minus": "-"},
}
_CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 10,
        "titleFontSize": 10,
        "titleFontWeight": "normal",
        "gridColor": "#e3e3e3",
        "domainColor": "#888",
        "tickColor": "#888",
    },
    "legend": {"labelFontSize": 10, "titleFontSize": 10, "orient": "top"},
}
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "object", "embed"}


@dataclass(frozen=True)
class MonthPoint:
    """Published counts of one month; ``None`` means fewer than 5 (suppressed)."""

    label: str
    registrations: int | None
    matches: int | None


@dataclass(frozen=True)
class SurveyPoint:
    """One survey item's mean change in one wave, with its 95% CI and a formatted n."""

    item: str
    wave: str
    mean: float
    ci_low: float | None
    ci_high: float | None
    n_text: str
    thermometer: bool = False


@dataclass(frozen=True)
class SurvivalPoint:
    """One step of the Kaplan-Meier curve with its Greenwood band."""

    day: int
    survival: float
    ci_low: float | None
    ci_high: float | None


def _check_svg(svg: str) -> str:
    """Reject SVG that is not well-formed or could run code, so it is safe to inline."""
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in _FORBIDDEN_TAGS:
            raise ValueError(f"chart SVG contains a <{tag}> element")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                raise ValueError(f"chart SVG has a forbidden attribute {local}")
    return svg


def to_svg(chart: alt.TopLevelMixin, lang: str) -> str:
    """Render an Altair chart to a standalone, checked SVG string with the report's locale.

    The Vega-Lite spec is not validated against its JSON schema here (a third of a
    report's HTML time): the specs come from the builders below, whose every shape the
    tests validate (``tests/reports/test_charts.py``).
    """
    spec = chart.to_dict(validate=False)
    spec["config"] = {**_CONFIG, **spec.get("config", {})}
    svg = vl_convert.vegalite_to_svg(spec, format_locale=_D3_LOCALES[lang])
    return _check_svg(svg)


def monthly_chart(points: Sequence[MonthPoint], lang: str) -> str:
    """Grouped bars of registrations and matches per month; suppressed months get a triangle."""
    return to_svg(monthly_spec(points, lang), lang)


def monthly_spec(points: Sequence[MonthPoint], lang: str) -> alt.LayerChart:
    """The Altair chart of :func:`monthly_chart`."""
    t = TEXT[lang]
    series = (t["registrations"], t["matches"])
    order = [p.label for p in points]
    bars: list[dict[str, Any]] = []
    hidden: list[dict[str, Any]] = []
    for p in points:
        for name, count in zip(series, (p.registrations, p.matches), strict=True):
            row = {
                "month": p.label,
                "series": name,
                "count": count or 0,
                "marker": t["fewer_than_5"],
            }
            (hidden if count is None else bars).append(row)
    x = alt.X(
        "month:N", sort=order, title=None, axis=alt.Axis(labelAngle=0 if len(order) <= 8 else -45)
    )
    colour = alt.Color(
        "series:N",
        sort=list(series),
        title=None,
        scale=alt.Scale(domain=list(series), range=list(COLOURS)),
    )
    offset = alt.XOffset("series:N", sort=list(series), scale=alt.Scale(domain=list(series)))
    base = (
        alt.Chart(alt.Data(values=bars))
        .mark_bar()
        .encode(
            x=x,
            xOffset=offset,
            color=colour,
            y=alt.Y("count:Q", title=t["count"], axis=alt.Axis(format=",d", tickMinStep=1)),
        )
    )
    layers: list[alt.Chart] = [base]
    if hidden:
        layers.append(
            alt.Chart(alt.Data(values=hidden))
            .mark_point(shape="triangle-up", size=60, filled=True, yOffset=-5, color=MARKER)
            .encode(
                x=x,
                xOffset=offset,
                y=alt.Y("count:Q"),
                shape=alt.Shape(
                    "marker:N",
                    title=None,
                    scale=alt.Scale(range=["triangle-up"]),
                    legend=alt.Legend(symbolFillColor=MARKER, symbolStrokeColor=MARKER),
                ),
            )
        )
    return alt.layer(*layers).properties(width=WIDTH, height=190)


def _survey_panel(
    points: Sequence[SurveyPoint], lang: str, title: str, waves: list[str]
) -> alt.LayerChart:
    """One dot-and-whisker panel of survey changes (items on y, one row per wave)."""
    t = TEXT[lang]
    values = [
        {
            "item": p.item,
            "wave": p.wave,
            "mean": p.mean,
            "low": p.mean if p.ci_low is None else p.ci_low,
            "high": p.mean if p.ci_high is None else p.ci_high,
            "n": p.n_text,
        }
        for p in points
    ]
    items = list(dict.fromkeys(p.item for p in points))
    y = alt.Y(
        "item:N",
        sort=items,
        title=None,
        axis=alt.Axis(labelLimit=230, labelFontSize=10, minExtent=210),
    )
    y_offset = alt.YOffset("wave:N", sort=waves, scale=alt.Scale(domain=waves, paddingInner=0.3))
    colour = alt.Color(
        "wave:N", sort=waves, title=t["wave"], scale=alt.Scale(domain=waves, range=list(COLOURS))
    )
    data = alt.Data(values=values)
    zero = (
        alt.Chart(alt.Data(values=[{"x": 0}]))
        .mark_rule(color="#777", strokeDash=[3, 3])
        .encode(x="x:Q")
    )
    x = alt.X(
        "low:Q",
        title=title,
        scale=alt.Scale(zero=True, nice=True),
        axis=alt.Axis(format=".2~f", labelExpr=SIGNED_LABEL),
    )
    whisker = (
        alt.Chart(data)
        .mark_rule(strokeWidth=1.5)
        .encode(y=y, yOffset=y_offset, x=x, x2="high:Q", color=colour)
    )
    dot = (
        alt.Chart(data)
        .mark_point(filled=True, size=45, opacity=1)
        .encode(y=y, yOffset=y_offset, x="mean:Q", color=colour)
    )
    label = (
        alt.Chart(data)
        .mark_text(align="left", dx=6, fontSize=9, color="#333")
        .encode(y=y, yOffset=y_offset, x="high:Q", text="n:N")
    )
    return alt.layer(zero, whisker, dot, label).properties(width=WIDTH - 220, height=alt.Step(15))


def survey_chart(points: Sequence[SurveyPoint], lang: str, waves: Sequence[str]) -> str:
    """Dot-and-whisker chart of each item's mean change with its 95% CI and n."""
    return to_svg(survey_spec(points, lang, waves), lang)


def survey_spec(
    points: Sequence[SurveyPoint], lang: str, waves: Sequence[str]
) -> alt.LayerChart | alt.VConcatChart:
    """The Altair chart of :func:`survey_chart`."""
    t = TEXT[lang]
    waves = list(waves)
    scale_items = [p for p in points if not p.thermometer]
    thermo_items = [p for p in points if p.thermometer]
    panels = []
    if scale_items:
        panels.append(_survey_panel(scale_items, lang, t["mean_change_points"], waves))
    if thermo_items:
        panels.append(_survey_panel(thermo_items, lang, t["mean_change_thermo"], waves))
    return panels[0] if len(panels) == 1 else alt.vconcat(*panels, spacing=14)


def survival_chart(points: Sequence[SurvivalPoint], lang: str, horizon: int = 182) -> str:
    """Kaplan-Meier step curve with its Greenwood band and a rule at ``horizon`` days."""
    return to_svg(survival_spec(points, lang, horizon), lang)


def survival_spec(points: Sequence[SurvivalPoint], lang: str, horizon: int = 182) -> alt.LayerChart:
    """The Altair chart of :func:`survival_chart`."""
    t = TEXT[lang]
    values = [
        {
            "day": p.day,
            "s": p.survival,
            "low": p.survival if p.ci_low is None else p.ci_low,
            "high": p.survival if p.ci_high is None else p.ci_high,
        }
        for p in points
    ]
    data = alt.Data(values=values)
    x = alt.X("day:Q", title=t["days_since_match"], scale=alt.Scale(nice=False, zero=True))
    band = (
        alt.Chart(data)
        .mark_area(interpolate="step-after", opacity=0.25, color=COLOURS[0])
        .encode(x=x, y=alt.Y("low:Q"), y2="high:Q")
    )
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", color=COLOURS[0], strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "s:Q",
                title=t["still_active"],
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
            ),
        )
    )
    rule = alt.Chart(alt.Data(values=[{"day": horizon, "label": f"{horizon}"}]))
    marker = rule.mark_rule(color="#777", strokeDash=[4, 3]).encode(x="day:Q")
    text = rule.mark_text(
        align="left", dx=4, dy=-4, fontSize=9, color="#555", baseline="top"
    ).encode(x="day:Q", y=alt.value(0), text="label:N")
    return alt.layer(band, line, marker, text).properties(width=WIDTH, height=200)
