"""ReportInput validates its frames and scope, so a bad hand-over fails loudly and early."""

import dataclasses
from datetime import date

import polars as pl
import pytest
import report_builders
from fresh_python import fresh_python

from reports import Funder, ReportInput


def _replace(inp: ReportInput, **changes) -> ReportInput:
    fields = {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp)}
    return ReportInput(**{**fields, **changes})


def test_end_must_be_the_earlier_of_period_end_and_as_of(german_input):
    with pytest.raises(ValueError, match="end must be min"):
        _replace(german_input, end=date(2026, 12, 31))


def test_missing_metric_column_is_named(german_input):
    with pytest.raises(ValueError, match=r"metrics is missing column.*suppressed"):
        _replace(german_input, metrics=german_input.metrics.drop("suppressed"))


def test_rows_of_another_funder_are_refused(german_input):
    other = german_input.metrics.with_columns(pl.lit("someone-else").alias("funder_id"))
    with pytest.raises(ValueError, match="another funder"):
        _replace(german_input, metrics=other)


def test_language_must_be_de_or_en():
    with pytest.raises(ValueError, match="language"):
        Funder("x", "X", ("Leipzig",), date(2026, 1, 1), date(2026, 6, 30), "fr")


def test_has_data_is_false_only_when_every_n_is_zero(german_input):
    assert german_input.has_data
    assert not report_builders.no_data().has_data


def test_reports_imports_no_pipeline_code():
    code = (
        "import sys, reports, reports.render, reports.charts, reports.view\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'dagster', 'pipelines', 'transforms', 'matching_core'})\n"
        "print(','.join(bad))"
    )
    assert fresh_python(code).strip() == ""


def test_unsuppressed_small_cells_are_refused(german_input):
    leaky = german_input.metrics.with_columns(
        pl.when(pl.col("suppressed"))
        .then(False)
        .otherwise(pl.col("suppressed"))
        .alias("suppressed")
    )
    with pytest.raises(ValueError, match="unsuppressed cell"):
        _replace(german_input, metrics=leaky)
    small_month = german_input.monthly.with_columns(pl.lit(3, pl.Int64).alias("matches"))
    with pytest.raises(ValueError, match="below 5"):
        _replace(german_input, monthly=small_month)
