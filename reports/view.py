"""Turn a :class:`ReportInput` into the plain view model the templates print.

Every choice of what to show (sections, order, which segments, which chart points) is
made here in Python, so templates only loop and format. Suppressed cells lose their
value, CI and n on the way in: the templates never see a suppressed number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
from markupsafe import Markup

from reports import charts
from reports.formatting import format_count, format_month, is_missing
from reports.labels import (
    LEVEL_TITLES,
    METRIC_LABELS,
    SURVEY_ITEMS,
    SURVEY_WAVES,
    TEXT,
    label_for,
    segment_label,
)
from reports.model import LEVELS, ReportInput

__all__ = ["KEY_FIGURES", "SEGMENT_FAMILIES", "Cell", "build_context", "secondary_suppress"]

KEY_FIGURES: tuple[str, ...] = (
    "registrations",
    "matches_made",
    "participants_matched",
    "sustained_rate",
    "tandem_survival_182d",
    "first_meeting_rate",
    "mean_rating",
    "cross_group_ties",
)
"""Metrics on the summary page, in order."""

SEGMENT_FAMILIES: dict[str, tuple[str, ...]] = {
    "group": ("group=newcomer", "group=local"),
    "gender": ("gender=female", "gender=male", "gender=diverse", "gender=unspecified"),
    "age": ("age=<25", "age=25-39", "age=40-59", "age=60+", "age=unknown"),
}
"""Segment families other than cities, each in METRICS.md's fixed order."""


@dataclass(frozen=True)
class Cell:
    """One published metric cell; a suppressed cell carries no value, CI or n."""

    metric_id: str
    segment: str
    label: str
    kind: str
    signed: bool
    value: float | None
    n: int | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool


@dataclass(frozen=True)
class TableGroup:
    """Cells of one IOOI level under its heading."""

    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class CitySection:
    """One city's tables (survey items by wave apart), or a note that it has no data."""

    name: str
    has_data: bool
    groups: tuple[TableGroup, ...]
    survey: Matrix | None


@dataclass(frozen=True)
class MatrixRow:
    """A metric across several segments (or waves); ``None`` where a cell is absent."""

    label: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Matrix:
    """A table of metrics (rows) by segments (columns)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class MonthRow:
    """Published counts of one month; ``None`` means fewer than 5."""

    label: str
    registrations: int | None
    matches: int | None


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart with its caption."""

    svg: Markup
    caption: str


@dataclass(frozen=True)
class Definition:
    """A metric's label, id and definition text for the methodology section."""

    label: str
    metric_id: str
    text: str


@dataclass(frozen=True)
class DefinitionGroup:
    """Definitions of one IOOI level."""

    title: str
    items: tuple[Definition, ...]


def _num(value: Any) -> float | None:
    return None if is_missing(value) else float(value)


def _cells(inp: ReportInput, lang: str) -> dict[tuple[str, str], Cell]:
    """Every metric row as a cell keyed by ``(metric_id, segment)``, suppressed ones blanked."""
    out: dict[tuple[str, str], Cell] = {}
    for row in inp.metrics.iter_rows(named=True):
        label = label_for(row["metric_id"])
        hidden = bool(row["suppressed"])
        out[(row["metric_id"], row["segment"])] = Cell(
            metric_id=row["metric_id"],
            segment=row["segment"],
            label=label.text(lang),
            kind=label.kind,
            signed=label.signed,
            value=None if hidden else _num(row["value"]),
            n=None if hidden or row["n"] is None else int(row["n"]),
            ci_low=None if hidden else _num(row["ci_low"]),
            ci_high=None if hidden else _num(row["ci_high"]),
            suppressed=hidden,
        )
    return out


def _metric_order(inp: ReportInput) -> list[str]:
    """Metric ids present in the input: METRICS.md order first, unknown ids after."""
    present = list(dict.fromkeys(inp.metrics.get_column("metric_id").to_list()))
    known = [m for m in METRIC_LABELS if m in present]
    return known + [m for m in present if m not in METRIC_LABELS]


def _level(inp: ReportInput, metric_id: str) -> str:
    info = inp.definitions.get(metric_id)
    return info.level if info is not None else label_for(metric_id).level


def _groups(
    inp: ReportInput,
    cells: Mapping[tuple[str, str], Cell],
    order: Iterable[str],
    segment: str,
    lang: str,
) -> dict[str, TableGroup]:
    """The cells of ``segment`` grouped by level, in report order, empty levels left out."""
    groups: dict[str, TableGroup] = {}
    order = list(order)
    for level in LEVELS:
        found = tuple(
            cells[(m, segment)] for m in order if _level(inp, m) == level and (m, segment) in cells
        )
        if found:
            groups[level] = TableGroup(LEVEL_TITLES[level][lang], found)
    return groups


def _city_sections(
    inp: ReportInput, cells: Mapping[tuple[str, str], Cell], order: list[str], lang: str
) -> tuple[CitySection, ...]:
    sections = []
    for city in inp.funder.cities:
        segment = f"city={city}"
        rows = inp.metrics.filter(pl.col("segment") == segment)
        has_data = bool(rows.filter(pl.col("n").fill_null(0) > 0).height)
        groups: tuple[TableGroup, ...] = ()
        survey = None
        if has_data:
            by_level = _groups(inp, cells, order, segment, lang)
            groups = tuple(g for level, g in by_level.items() if level != "survey")
            survey = _survey_matrix(cells, segment, lang)
        sections.append(CitySection(city, has_data, groups, survey))
    return tuple(sections)


def _family_matrices(
    cells: Mapping[tuple[str, str], Cell], order: list[str], lang: str
) -> tuple[Matrix, ...]:
    t = TEXT[lang]
    matrices = []
    for family, segments in SEGMENT_FAMILIES.items():
        rows = []
        for metric_id in order:
            if not any((metric_id, s) in cells for s in segments):
                continue
            row_cells = tuple(cells.get((metric_id, s)) for s in ("all", *segments))
            rows.append(MatrixRow(label_for(metric_id).text(lang), row_cells))
        if rows:
            columns = tuple(segment_label(s, lang) for s in ("all", *segments))
            matrices.append(Matrix(t[f"family_{family}"], columns, tuple(rows)))
    return tuple(matrices)


def _survey_matrix(cells: Mapping[tuple[str, str], Cell], segment: str, lang: str) -> Matrix | None:
    """Survey items (rows) by follow-up wave (columns) for one segment, or None if absent."""
    t = TEXT[lang]
    waves = list(SURVEY_WAVES)
    rows: list[MatrixRow] = []
    for item, item_label in SURVEY_ITEMS.items():
        row = tuple(cells.get((f"delta_{item}_{w}", segment)) for w in waves)
        if any(c is not None for c in row):
            rows.append(MatrixRow(item_label.text(lang), row))
    improved = tuple(cells.get((f"improved_belonging_share_{w}", segment)) for w in waves)
    if any(c is not None for c in improved):
        rows.append(MatrixRow(t["improved_belonging"], improved))
    if not rows:
        return None
    columns = tuple(SURVEY_WAVES[w].text(lang) for w in waves)
    return Matrix(t["mean_change"], columns, tuple(rows))


def _survey_chart(
    cells: Mapping[tuple[str, str], Cell], lang: str
) -> tuple[Chart | None, tuple[str, ...]]:
    """The dot-and-whisker chart of the published survey changes and the items left out."""
    t = TEXT[lang]
    points: list[charts.SurveyPoint] = []
    left_out: list[str] = []
    wave_names = [label.text(lang) for label in SURVEY_WAVES.values()]
    for item, item_label in SURVEY_ITEMS.items():
        for wave, wave_name in zip(SURVEY_WAVES, wave_names, strict=True):
            cell = cells.get((f"delta_{item}_{wave}", "all"))
            if cell is None:
                continue
            if cell.suppressed or cell.value is None:
                left_out.append(f"{item_label.text(lang)} ({wave_name})")
                continue
            points.append(
                charts.SurveyPoint(
                    item=item_label.text(lang),
                    wave=wave_name,
                    mean=cell.value,
                    ci_low=cell.ci_low,
                    ci_high=cell.ci_high,
                    n_text=f"n = {format_count(cell.n, lang)}",
                    thermometer=item == "outgroup_attitude",
                )
            )
    if not points:
        return None, tuple(left_out)
    svg = charts.survey_chart(points, lang, wave_names)
    return Chart(Markup(svg), t["survey_chart_caption"]), tuple(left_out)


def secondary_suppress(counts: list[int | None]) -> list[int | None]:
    """Hide the smallest other non-zero month when exactly one month is hidden.

    The months add up to the period total printed elsewhere, so a single hidden month
    could be got back by subtraction (METRICS.md, disclosure control; one pass).
    """
    if sum(c is None for c in counts) != 1:
        return counts
    others = [(c, i) for i, c in enumerate(counts) if c]
    if not others:
        return counts
    _, smallest = min(others)
    return [None if i == smallest else c for i, c in enumerate(counts)]


def _monthly(inp: ReportInput, lang: str) -> tuple[tuple[MonthRow, ...], Chart | None]:
    frame = inp.monthly.sort("month")
    frame = frame.with_columns(
        pl.Series(name, secondary_suppress(frame[name].to_list()), pl.Int64)
        for name in ("registrations", "matches")
    )
    rows = tuple(
        MonthRow(format_month(r["month"], lang), r["registrations"], r["matches"])
        for r in frame.iter_rows(named=True)
    )
    if not rows:
        return rows, None
    points = [
        charts.MonthPoint(
            format_month(r["month"], lang, short=True), r["registrations"], r["matches"]
        )
        for r in frame.iter_rows(named=True)
    ]
    svg = charts.monthly_chart(points, lang)
    return rows, Chart(Markup(svg), TEXT[lang]["per_month_caption"])


def _survival(inp: ReportInput, lang: str) -> Chart | None:
    frame = inp.survival.drop_nulls("survival").sort("day")
    if frame.is_empty():
        return None
    points = [
        charts.SurvivalPoint(
            int(r["day"]), float(r["survival"]), _num(r["ci_low"]), _num(r["ci_high"])
        )
        for r in frame.iter_rows(named=True)
    ]
    return Chart(Markup(charts.survival_chart(points, lang)), TEXT[lang]["survival_caption"])


def _definitions(inp: ReportInput, order: list[str], lang: str) -> tuple[DefinitionGroup, ...]:
    ids = list(
        dict.fromkeys(
            [*order, *[m for m in METRIC_LABELS if m in inp.definitions], *inp.definitions]
        )
    )
    groups = []
    for level in LEVELS:
        items = tuple(
            Definition(label_for(m).text(lang), m, inp.definitions[m].definition)
            for m in ids
            if m in inp.definitions and _level(inp, m) == level
        )
        if items:
            groups.append(DefinitionGroup(LEVEL_TITLES[level][lang], items))
    return tuple(groups)


def build_context(inp: ReportInput) -> dict[str, Any]:
    """Everything ``report.html`` prints, for one funder, in the funder's language."""
    lang = inp.funder.language
    context: dict[str, Any] = {
        "lang": lang,
        "t": TEXT[lang],
        "funder": inp.funder,
        "cities": ", ".join(inp.funder.cities),
        "as_of": inp.as_of,
        "end": inp.end,
        "end_is_early": inp.end < inp.funder.period_end,
        "has_data": inp.has_data,
        "provenance": inp.provenance,
        "data_quality": inp.data_quality,
        "checks": inp.checks,
    }
    if not inp.has_data:
        return context
    cells = _cells(inp, lang)
    order = _metric_order(inp)
    months, monthly_chart = _monthly(inp, lang)
    survey_chart, survey_left_out = _survey_chart(cells, lang)
    context |= {
        "key_figures": tuple(cells[(m, "all")] for m in KEY_FIGURES if (m, "all") in cells),
        "level_titles": {level: titles[lang] for level, titles in LEVEL_TITLES.items()},
        "overall": _groups(inp, cells, order, "all", lang),
        "months": months,
        "monthly_chart": monthly_chart,
        "survey_matrix": _survey_matrix(cells, "all", lang),
        "survey_chart": survey_chart,
        "survey_left_out": survey_left_out,
        "survival_cell": cells.get(("tandem_survival_182d", "all")),
        "survival_chart": _survival(inp, lang),
        "city_sections": _city_sections(inp, cells, order, lang),
        "family_matrices": _family_matrices(cells, order, lang),
        "definition_groups": _definitions(inp, order, lang),
    }
    return context
