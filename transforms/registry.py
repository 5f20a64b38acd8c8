"""The metric registry: ``metric_id -> (level, definition, segment families, function)``.

The definition text of a metric is the first paragraph of its function's docstring (a
quote of METRICS.md), so a report prints each definition from the same place the metric
is computed. For the survey family the placeholders ``<item>`` and ``<w>`` of the shared
docstring are filled in.

Levels follow the IOOI model: ``output``, ``outcome``, ``survey`` (outcomes measured by
the survey), ``impact``, ``matching``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import polars as pl

from transforms import impact, matching_quality, outcomes, outputs, survey
from transforms.segments import AREA, PARTICIPANT

__all__ = ["LEVELS", "METRICS", "METRIC_DEFINITIONS", "Metric", "definition_of"]

LEVELS = ("output", "outcome", "survey", "impact", "matching")


def definition_of(function: Callable[..., Any], **placeholders: str) -> str:
    """First paragraph of ``function``'s docstring on one line, placeholders filled in."""
    doc = inspect.getdoc(function) or ""
    text = " ".join(doc.split("\n\n", 1)[0].split())
    for key, value in placeholders.items():
        text = text.replace(f"<{key}>", value)
    return text


@dataclass(frozen=True)
class Metric:
    """One metric of ``marts.impact_metrics``."""

    metric_id: str
    level: str
    definition: str
    families: tuple[str, ...]
    function: Callable[..., pl.LazyFrame] = field(repr=False)

    def compute(self, tables: Mapping[str, Any]) -> pl.LazyFrame:
        """Call the function with the inputs it names (``participants``, ``scope``, ...)."""
        params = inspect.signature(self.function).parameters
        kwargs = {
            name: tables[name]
            for name, p in params.items()
            if name in tables and p.kind is not inspect.Parameter.KEYWORD_ONLY
        }
        return self.function(**kwargs)


def _metric(function: Callable[..., pl.LazyFrame], level: str, families: tuple[str, ...]) -> Metric:
    return Metric(function.__name__, level, definition_of(function), families, function)


def _survey_metrics() -> list[Metric]:
    out: list[Metric] = []
    for wave in survey.WAVES:
        for item, meaning in survey.SURVEY_ITEMS.items():
            fn = partial(survey.survey_delta, item=item, wave=wave)
            text = definition_of(survey.survey_delta, item=f"`{item}` ({meaning})", w=wave)
            out.append(Metric(f"delta_{item}_{wave}", "survey", text, PARTICIPANT, fn))
        fn = partial(survey.improved_belonging_share, wave=wave)
        text = definition_of(survey.improved_belonging_share, w=wave)
        out.append(Metric(f"improved_belonging_share_{wave}", "survey", text, PARTICIPANT, fn))
    return out


_ALL: list[Metric] = [
    _metric(outputs.registrations, "output", PARTICIPANT),
    _metric(outputs.matches_made, "output", AREA),
    _metric(outputs.participants_matched, "output", PARTICIPANT),
    _metric(outputs.match_rate_30d, "output", PARTICIPANT),
    _metric(outputs.median_days_to_match, "output", PARTICIPANT),
    _metric(outputs.tandem_meetings, "output", AREA),
    _metric(outputs.group_event_visits, "output", AREA),
    _metric(outcomes.first_meeting_rate, "outcome", AREA),
    _metric(outcomes.sustained_rate, "outcome", AREA),
    _metric(outcomes.mean_rating, "outcome", AREA),
    _metric(outcomes.would_meet_again_share, "outcome", AREA),
    _metric(outcomes.cross_group_ties, "outcome", AREA),
    *_survey_metrics(),
    _metric(impact.tandem_survival_182d, "impact", AREA),
    _metric(matching_quality.proposal_coverage, "matching", AREA),
    _metric(matching_quality.mean_proposal_score, "matching", AREA),
    _metric(matching_quality.score_auc_sustained, "matching", AREA),
]

METRICS: dict[str, Metric] = {m.metric_id: m for m in _ALL}
"""Every metric in METRICS.md order (the order of ``marts.impact_metrics``)."""

METRIC_DEFINITIONS: dict[str, str] = {m.metric_id: m.definition for m in _ALL}
"""``metric_id -> definition`` in English, for reports."""
