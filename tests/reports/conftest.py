"""Make the repository root and this folder's builders importable, and render the samples once.

Rendering a PDF takes a second or two, so the German and English sample reports are
rendered once per session and shared by the tests that only read them.
"""

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parents[1]), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import report_builders  # noqa: E402

from reports import RenderedReport, ReportInput, render_report  # noqa: E402


@pytest.fixture(scope="session")
def german_input() -> ReportInput:
    return report_builders.german()


@pytest.fixture(scope="session")
def english_input() -> ReportInput:
    return report_builders.english()


@pytest.fixture(scope="session")
def german_report(
    german_input: ReportInput, tmp_path_factory: pytest.TempPathFactory
) -> RenderedReport:
    return render_report(german_input, tmp_path_factory.mktemp("de") / "esf-zukunftsplattform")


@pytest.fixture(scope="session")
def english_report(
    english_input: ReportInput, tmp_path_factory: pytest.TempPathFactory
) -> RenderedReport:
    return render_report(english_input, tmp_path_factory.mktemp("en") / "stiftung-miteinander")
