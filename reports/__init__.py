"""Funder reports: HTML, PDF and CSV from plain, already aggregated data.

Build a :class:`ReportInput` (no warehouse or Dagster objects, only dataclasses and
Polars frames) and call :func:`render_report`. The package imports nothing from
``pipelines``, ``transforms`` or ``matching_core``.
"""

from reports.batch import render_many
from reports.labels import METRIC_LABELS, MetricLabel
from reports.model import (
    CheckOutcome,
    FeedQuality,
    Funder,
    MetricInfo,
    Provenance,
    RenderedReport,
    ReportInput,
)
from reports.render import (
    metrics_csv_rows,
    neutralise_formula,
    render_html,
    render_report,
    sweep_temporaries,
    write_atomic,
)

__all__ = [
    "METRIC_LABELS",
    "CheckOutcome",
    "FeedQuality",
    "Funder",
    "MetricInfo",
    "MetricLabel",
    "Provenance",
    "RenderedReport",
    "ReportInput",
    "metrics_csv_rows",
    "neutralise_formula",
    "render_html",
    "render_many",
    "render_report",
    "sweep_temporaries",
    "write_atomic",
]
