"""Rendering several reports in worker processes gives the same files as one by one; the
rendering libraries load only where reports are rendered."""

from __future__ import annotations

from pathlib import Path

from fresh_python import fresh_python

from reports import render_many, render_report


def test_render_many_in_two_workers_equals_sequential(tmp_path: Path, german_input, english_input):
    jobs = [(german_input, tmp_path / "par" / "de"), (english_input, tmp_path / "par" / "en")]
    parallel = render_many(jobs, workers=2)
    sequential = [render_report(german_input, tmp_path / "seq" / "de")]
    sequential.append(render_report(english_input, tmp_path / "seq" / "en"))
    assert [r.pages for r in parallel] == [r.pages for r in sequential]
    assert [r.pdf_path for r in parallel] == [
        tmp_path / "par" / "de" / "report.pdf",
        tmp_path / "par" / "en" / "report.pdf",
    ]
    for par, seq in zip(parallel, sequential, strict=True):
        assert par.csv_path.read_bytes() == seq.csv_path.read_bytes()
        assert par.html_path.read_text("utf-8") == seq.html_path.read_text("utf-8")


def test_the_pipeline_imports_no_chart_or_pdf_library_until_it_renders() -> None:
    """Every Dagster process imports ``reports`` for its file helpers; Altair, vl-convert
    and WeasyPrint load only where a report is rendered (fresh interpreter)."""
    script = (
        "import sys\n"
        "import pipelines.definitions\n"
        "print(sorted(m for m in ('altair', 'vl_convert', 'weasyprint') if m in sys.modules))\n"
    )
    assert fresh_python(script).strip() == "[]"
