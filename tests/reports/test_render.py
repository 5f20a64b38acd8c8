"""Rendered reports: files, PDF text, HTML structure, CSV, suppression, escaping, atomic writes."""

import csv
import dataclasses
import html.parser
import re
from pathlib import Path

import polars as pl
import pytest
import report_builders
from pypdf import PdfReader

import reports.render
from reports import RenderedReport, ReportInput, metrics_csv_rows, render_html, render_report
from reports.labels import METRIC_LABELS

VOID = {"meta", "br", "img", "hr", "link", "input", "col", "area", "base", "wbr", "source"}
SVG_LEAVES = {"path", "rect", "line", "circle", "text", "tspan"}


def pdf_text(path: Path) -> str:
    """All text of a PDF with whitespace (including no-break spaces) collapsed."""
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


def squash(text: str) -> str:
    return " ".join(text.split())


class TagBalance(html.parser.HTMLParser):
    """Fails on a closing tag that does not match the open one (SVG self-closing allowed)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def check_html(text: str) -> None:
    parser = TagBalance()
    parser.feed(text)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []


# --- the German and English samples ------------------------------------------------


def test_files_exist_and_pdf_has_pages(german_report: RenderedReport):
    for path in (german_report.html_path, german_report.pdf_path, german_report.csv_path):
        assert path.is_file() and path.stat().st_size > 0
    assert german_report.pages > 1
    assert len(PdfReader(german_report.pdf_path).pages) == german_report.pages
    assert sorted(p.name for p in german_report.html_path.parent.iterdir()) == [
        "metrics.csv",
        "report.html",
        "report.pdf",
    ]


def test_german_pdf_shows_name_and_key_figures_as_in_the_html(german_report):
    text = pdf_text(german_report.pdf_path)
    page = squash(german_report.html_path.read_text("utf-8"))
    for expected in (
        "Zukunftsplattform Soziale Innovationen (ESF Plus)",
        "1.234",  # registrations
        "57,4 %",  # sustained_rate 0.574
        "68,7 %",  # tandem_survival_182d 0.687
        "4,31",  # mean_rating
        "24.11.2026",  # data as of
        "01.01.2026 – 31.12.2026",
        "Zwickau",
        "Für diese Stadt liegen im Förderzeitraum keine Daten vor.",  # Zwickau: n = 0
        "weniger als 5",
    ):
        assert expected in text, expected
        assert expected in page.replace("\u00a0", " "), expected


def test_english_pdf_uses_english_formats(english_report):
    text = pdf_text(english_report.pdf_path)
    for expected in ("Miteinander Foundation", "1,234", "57.4%", "4.31", "24 November 2026",
                     "fewer than 5", "Halle (Saale)"):  # fmt: skip
        assert expected in text, expected
    assert "weniger als" not in text
    # May has fewer than 5 matches; March (the smallest other month) is hidden too
    page = squash(english_report.html_path.read_text("utf-8"))
    for month in ("March 2026", "May 2026"):
        assert re.search(
            rf'<th scope="row">{month}</th> <td class="num">[\d,]+</td> '
            r'<td class="num suppressed">fewer than 5</td>',
            page,
        ), month


def test_every_page_has_content(german_report, english_report):
    for report in (german_report, english_report):
        for number, page in enumerate(PdfReader(report.pdf_path).pages, 1):
            assert len((page.extract_text() or "").strip()) > 80, f"page {number} looks empty"


def test_html_is_well_formed_self_contained_and_scriptless(german_report):
    text = german_report.html_path.read_text("utf-8")
    check_html(text)
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="de">' in text
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)
    assert "<svg" in text and "@page" in text  # charts and print CSS inline


def test_charts_are_inline_svg_with_text(german_report):
    text = german_report.html_path.read_text("utf-8")
    assert text.count("<svg") == 3  # monthly, survey, survival
    assert "Anmeldungen</text>" in text  # legend label translated, kept as text
    assert "Tage seit der Vermittlung</text>" in text


def test_csv_equals_input_rows_with_suppressed_cells_blanked(german_report, german_input):
    with german_report.csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == metrics_csv_rows(german_input.metrics)
    source = german_input.metrics.to_dicts()
    assert len(rows) == len(source)
    hidden = 0
    for got, row in zip(rows, source, strict=True):
        assert (got["funder_id"], got["metric_id"], got["segment"]) == (
            row["funder_id"], row["metric_id"], row["segment"])  # fmt: skip
        assert got["suppressed"] == ("true" if row["suppressed"] else "false")
        if row["suppressed"]:
            hidden += 1
            assert got["value"] == got["n"] == got["ci_low"] == got["ci_high"] == ""
            continue
        assert int(got["n"]) == row["n"]
        for column in ("value", "ci_low", "ci_high"):
            if row[column] is None:
                assert got[column] == ""
            else:
                assert float(got[column]) == row[column]
    assert hidden >= 4  # primary and secondary suppression in cities, genders, ages


def test_suppressed_cells_read_fewer_than_5(german_report, english_report):
    german = german_report.html_path.read_text("utf-8")
    english = english_report.html_path.read_text("utf-8")
    # mean_rating: Chemnitz has n = 4 (primary), Dresden is suppressed too (secondary)
    row = r'<th scope="row">Mittlere Bewertung \(1–5\)</th>\s*<td class="num suppressed">weniger als 5</td>'
    assert len(re.findall(row, german)) == 2
    assert german.count("weniger als 5") > 10
    assert english.count("fewer than 5") > 10
    assert 'class="num suppressed">fewer than 5</td>' in english


def test_suppressed_values_do_not_reach_the_report(german_input):
    """Changing what hides behind a suppressed cell must not change a single byte of the HTML."""
    shown = german_input.metrics.filter(~pl.col("suppressed"))
    hidden = german_input.metrics.filter(pl.col("suppressed"))
    other = hidden.with_columns(
        pl.col("value") * 1.37 + 0.11,
        pl.col("n") + 1,
        pl.col("ci_low") - 0.05,
        pl.col("ci_high") + 0.05,
    )
    changed = dataclasses.replace(german_input, metrics=pl.concat([shown, other]))
    original = dataclasses.replace(german_input, metrics=pl.concat([shown, hidden]))
    assert render_html(changed) == render_html(original)


# --- hostile names, no data, atomic writes ----------------------------------------


def test_markup_in_city_and_funder_names_is_escaped(tmp_path):
    report = render_report(report_builders.hostile(), tmp_path / "hostile")
    text = report.html_path.read_text("utf-8")
    check_html(text)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>Fett</b>" not in text
    assert "Stiftung &lt;b&gt;Fett&lt;/b&gt; &amp; &#34;Co&#34;" in text
    assert "<script>alert(1)</script>" in pdf_text(report.pdf_path)  # shown as text


def test_funder_without_data_gets_a_short_report(tmp_path):
    inp = report_builders.no_data()
    report = render_report(inp, tmp_path / "stadt-goerlitz")
    text = pdf_text(report.pdf_path)
    assert report.pages == 1
    assert "Stadt Görlitz" in text
    # Kerning can make PDF text extraction split a word ("T andems"): compare without spaces.
    squashed = "".join(text.split())
    assert "keineAnmeldungen,Tandems,RückmeldungenoderBefragungen" in squashed
    assert inp.provenance.run_id in text
    assert "Das Wichtigste" not in text and "Vermittelte Tandems" not in text  # no zeros
    with report.csv_path.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == inp.metrics.height


def test_failed_render_leaves_old_files_and_no_temporaries(tmp_path, monkeypatch, german_input):
    out = tmp_path / "esf"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"old pdf")

    class Broken:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("pango exploded")

    import weasyprint  # render_report imports HTML from it when it renders

    monkeypatch.setattr(weasyprint, "HTML", Broken)
    with pytest.raises(RuntimeError, match="pango"):
        render_report(german_input, out)
    assert [p.name for p in out.iterdir()] == ["report.pdf"]
    assert (out / "report.pdf").read_bytes() == b"old pdf"


def test_write_atomic_removes_its_temporary_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "metrics.csv"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(reports.render.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        reports.render.write_atomic(target, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]
    assert target.read_bytes() == b"old"


def test_csv_neutralises_formulas_in_text_cells(tmp_path):
    inp: ReportInput = report_builders.make_input(
        funder_id="f", name="F", cities=("=HYPERLINK(1)", "Leipzig"), language="en"
    )
    rows = metrics_csv_rows(inp.metrics)
    segments = {r["segment"] for r in rows}
    assert "city==HYPERLINK(1)" in segments  # starts with "c": left alone
    negative = [r for r in rows if r["value"].startswith("-")]
    assert negative and all(not r["value"].startswith("'") for r in negative)
    assert reports.render.neutralise_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def _overflowing_cell_text(inp: ReportInput) -> list[str]:
    """Text laid out beyond the right edge of its table cell in the PDF layout."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=render_html(inp)).render()
    found = []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.TableCellBox):
                right = box.content_box_x() + box.width
                found += [
                    text.text
                    for text in box.descendants()
                    if isinstance(text, boxes.TextBox)
                    and text.position_x + text.width > right + 0.5
                ]
            else:
                stack.extend(getattr(box, "children", []))
    return found


COUNTS = [m for m, label in METRIC_LABELS.items() if label.kind == "count"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_no_text_overflows_its_table_cell(language: str) -> None:
    # Every header and figure fits its column, in both languages and with national-scale
    # counts. (A fixed table layout, tried for speed, let German headers, "weniger als 5"
    # and seven-digit counts run into the next column.)
    inp = report_builders.german() if language == "de" else report_builders.english()
    scaled = inp.metrics.with_columns(
        pl.col("n") * 1000,
        pl.when(pl.col("metric_id").is_in(COUNTS))
        .then(pl.col("value") * 1000)
        .otherwise(pl.col("value")),
    )
    for case in (inp, dataclasses.replace(inp, metrics=scaled)):
        assert _overflowing_cell_text(case) == []
