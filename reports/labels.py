"""Short German and English labels for metrics, segments, levels and report text.

The metric *definitions* come from the metric registry (``ReportInput.definitions``);
only the short labels a reader sees in tables and charts are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "KINDS",
    "LEVEL_TITLES",
    "METRIC_LABELS",
    "SURVEY_ITEMS",
    "SURVEY_WAVES",
    "TEXT",
    "MetricLabel",
    "label_for",
    "segment_label",
]

Kind = Literal["count", "share", "mean", "days", "score", "survival"]
KINDS: tuple[str, ...] = ("count", "share", "mean", "days", "score", "survival")


@dataclass(frozen=True)
class MetricLabel:
    """A metric's short label in both languages and how its value is formatted.

    ``kind`` picks the number format (count, share as %, mean, days, score, survival as %);
    ``level`` is the IOOI level used when the registry gives none; ``signed`` shows an
    explicit ``+`` (for changes between survey waves).
    """

    de: str
    en: str
    kind: Kind
    level: str = "output"
    signed: bool = False

    def text(self, lang: str) -> str:
        """The label in ``lang`` ("de" or "en")."""
        return self.de if lang == "de" else self.en


SURVEY_ITEMS: dict[str, MetricLabel] = {
    "belonging": MetricLabel("Zugehörigkeit (1–5)", "Belonging (1–5)", "mean", "survey", True),
    "trust_people": MetricLabel(
        "Vertrauen in Menschen (1–5)", "Trust in people (1–5)", "mean", "survey", True
    ),
    "outgroup_contact": MetricLabel(
        "Kontakt zur anderen Gruppe (0–4)",
        "Contact with the other group (0–4)",
        "mean",
        "survey",
        True,
    ),
    "outgroup_attitude": MetricLabel(
        "Haltung zur anderen Gruppe (0–100)",
        "Attitude towards the other group (0–100)",
        "mean",
        "survey",
        True,
    ),
    "loneliness": MetricLabel(
        "Einsamkeit (3–9, weniger ist besser)",
        "Loneliness (3–9, lower is better)",
        "mean",
        "survey",
        True,
    ),
    "diversity_acceptance": MetricLabel(
        "Vielfalt bereichert (1–5)", "Diversity enriches (1–5)", "mean", "survey", True
    ),
}
"""Survey items in METRICS.md order, with the scale each is measured on."""

SURVEY_WAVES: dict[str, MetricLabel] = {
    "3m": MetricLabel("nach 3 Monaten", "after 3 months", "mean"),
    "12m": MetricLabel("nach 12 Monaten", "after 12 months", "mean"),
}


def _survey_labels() -> dict[str, MetricLabel]:
    out: dict[str, MetricLabel] = {}
    for wave, wave_label in SURVEY_WAVES.items():
        for item, item_label in SURVEY_ITEMS.items():
            out[f"delta_{item}_{wave}"] = MetricLabel(
                f"Veränderung {item_label.de}, {wave_label.de}",
                f"Change in {item_label.en[0].lower()}{item_label.en[1:]}, {wave_label.en}",
                "mean",
                "survey",
                True,
            )
        out[f"improved_belonging_share_{wave}"] = MetricLabel(
            f"Anteil mit mehr Zugehörigkeit, {wave_label.de}",
            f"Share with more belonging, {wave_label.en}",
            "share",
            "survey",
        )
    return out


METRIC_LABELS: dict[str, MetricLabel] = {
    "registrations": MetricLabel("Anmeldungen", "Registrations", "count"),
    "matches_made": MetricLabel("Vermittelte Tandems", "Matches made", "count"),
    "participants_matched": MetricLabel(
        "Vermittelte Teilnehmende", "Participants matched", "count"
    ),
    "match_rate_30d": MetricLabel("Vermittelt binnen 30 Tagen", "Matched within 30 days", "share"),
    "median_days_to_match": MetricLabel(
        "Tage bis zur Vermittlung (Median)", "Days to match (median)", "days"
    ),
    "tandem_meetings": MetricLabel("Tandem-Treffen", "Tandem meetings", "count"),
    "group_event_visits": MetricLabel(
        "Besuche von Gruppenveranstaltungen", "Group event visits", "count"
    ),
    "first_meeting_rate": MetricLabel(
        "Erstes Treffen binnen 28 Tagen", "First meeting within 28 days", "share", "outcome"
    ),
    "sustained_rate": MetricLabel("Beständige Tandems", "Sustained tandems", "share", "outcome"),
    "mean_rating": MetricLabel("Mittlere Bewertung (1–5)", "Mean rating (1–5)", "mean", "outcome"),
    "would_meet_again_share": MetricLabel(
        "Würden sich wieder treffen", "Would meet again", "share", "outcome"
    ),
    "cross_group_ties": MetricLabel(
        "Kontakte zur anderen Gruppe", "Cross-group ties", "count", "outcome"
    ),
    **_survey_labels(),
    "tandem_survival_182d": MetricLabel(
        "Tandems nach 182 Tagen noch aktiv",
        "Tandems still active after 182 days",
        "survival",
        "impact",
    ),
    "proposal_coverage": MetricLabel(
        "Wartende mit Vorschlag", "Waiting participants with a proposal", "share", "matching"
    ),
    "mean_proposal_score": MetricLabel(
        "Mittlerer Vorschlags-Score", "Mean proposal score", "score", "matching"
    ),
    "score_auc_sustained": MetricLabel(
        "Vorhersagegüte des Scores (AUC)", "Score's predictive power (AUC)", "score", "matching"
    ),
}
"""Every metric of METRICS.md, in its order."""


def label_for(metric_id: str) -> MetricLabel:
    """The label of ``metric_id``; an unknown metric is shown by its id as a mean."""
    return METRIC_LABELS.get(metric_id) or MetricLabel(metric_id, metric_id, "mean", "output")


LEVEL_TITLES: dict[str, dict[str, str]] = {
    "output": {"de": "Leistungen (Output)", "en": "Outputs"},
    "outcome": {"de": "Wirkungen bei den Teilnehmenden (Outcome)", "en": "Outcomes"},
    "survey": {"de": "Veränderung laut Befragung (Outcome)", "en": "Survey change (outcomes)"},
    "impact": {"de": "Nachhaltige Wirkung (Impact)", "en": "Impact"},
    "matching": {"de": "Qualität der Vermittlung", "en": "Matching quality"},
}

_SEGMENT_VALUES: dict[str, dict[str, str]] = {
    "all": {"de": "Gesamt", "en": "All"},
    "group=newcomer": {"de": "Neuzugezogene", "en": "Newcomers"},
    "group=local": {"de": "Einheimische", "en": "Locals"},
    "gender=female": {"de": "weiblich", "en": "female"},
    "gender=male": {"de": "männlich", "en": "male"},
    "gender=diverse": {"de": "divers", "en": "diverse"},
    "gender=unspecified": {"de": "keine Angabe", "en": "not stated"},
    "age=<25": {"de": "unter 25", "en": "under 25"},
    "age=25-39": {"de": "25–39", "en": "25–39"},
    "age=40-59": {"de": "40–59", "en": "40–59"},
    "age=60+": {"de": "60 und älter", "en": "60 and over"},
    "age=unknown": {"de": "unbekannt", "en": "unknown"},
}


def segment_label(segment: str, lang: str) -> str:
    """A reader's name for a segment (``city=Leipzig`` is ``Leipzig``)."""
    if segment in _SEGMENT_VALUES:
        return _SEGMENT_VALUES[segment][lang]
    return segment.split("=", 1)[1] if "=" in segment else segment


_TEXT: dict[str, tuple[str, str]] = {
    # key: (German, English)
    "report_title": ("Wirkungsbericht", "Impact report"),
    "platform": (
        "bring-together: Tandems von Neuzugezogenen und Einheimischen in Sachsen",
        "bring-together: tandems of newcomers and locals in Saxony",
    ),
    "funder": ("Förderer", "Funder"),
    "cities": ("Städte", "Cities"),
    "period": ("Förderzeitraum", "Period"),
    "evaluated_until": ("ausgewertet bis", "evaluated up to"),
    "data_as_of": ("Datenstand", "Data as of"),
    "generated_at": ("erstellt am", "generated on"),
    "contents": ("Inhalt", "Contents"),
    "summary": ("Das Wichtigste in Kürze", "Summary"),
    "summary_intro": (
        "Kennzahlen für alle geförderten Städte zusammen im Förderzeitraum. "
        "Anteile mit 95-%-Konfidenzintervall; n ist die Zahl der Fälle hinter einem Wert.",
        "Key figures for all funded cities together, over the funded period. "
        "Shares with their 95% confidence interval; n is the number of units behind a value.",
    ),
    "staircase": (
        "Der Bericht folgt der Wirkungslogik des Social Reporting Standard (IOOI): "
        "Leistungen (Output), Wirkungen bei den Teilnehmenden (Outcome) und "
        "nachhaltige Wirkung (Impact).",
        "The report follows the impact logic of the Social Reporting Standard (IOOI): "
        "outputs, outcomes for participants, and lasting impact.",
    ),
    "outputs_intro": (
        "Was die Plattform im Förderzeitraum geleistet hat.",
        "What the platform did in the funded period.",
    ),
    "outcomes_intro": (
        "Was sich für die Teilnehmenden verändert hat: ob Tandems sich treffen, "
        "dabeibleiben und wie sie ihre Treffen bewerten.",
        "What changed for participants: whether tandems meet, stay together and how "
        "they rate their meetings.",
    ),
    "survey_intro": (
        "Mittlere Veränderung zwischen der Befragung bei der Anmeldung und der "
        "Nachbefragung, nur Teilnehmende mit Einwilligung in die Forschung. "
        "Werte über null bedeuten eine Zunahme; bei Einsamkeit ist eine Abnahme eine "
        "Verbesserung.",
        "Mean change between the survey at registration and the follow-up, only "
        "participants who consented to research. Values above zero are an increase; "
        "for loneliness a decrease is an improvement.",
    ),
    "impact_intro": (
        "Wie lange Tandems bestehen: geschätzter Anteil der Tandems, die eine bestimmte "
        "Zahl von Tagen nach der Vermittlung noch aktiv sind (Kaplan-Meier).",
        "How long tandems last: estimated share of tandems still active a given number "
        "of days after being matched (Kaplan-Meier).",
    ),
    "matching_intro": (
        "Wie gut die Vorschläge für neue Tandems sind.",
        "How good the proposals for new tandems are.",
    ),
    "cities_title": ("Ergebnisse nach Stadt", "Results by city"),
    "cities_intro": (
        "Dieselben Kennzahlen für jede geförderte Stadt.",
        "The same figures for each funded city.",
    ),
    "city_no_data": (
        "Für diese Stadt liegen im Förderzeitraum keine Daten vor.",
        "There is no data for this city in the funded period.",
    ),
    "segments_title": ("Ergebnisse nach Gruppen", "Results by segment"),
    "segments_intro": (
        "Kennzahlen über Teilnehmende, aufgeteilt nach Gruppe, Geschlecht und Alter "
        "(Alter im Jahr des Auswertungsendes). n steht unter jedem Wert.",
        "Figures over participants, split by group, gender and age (age in the year "
        "the evaluation ends). n is shown below each value.",
    ),
    "family_group": ("Neuzugezogene und Einheimische", "Newcomers and locals"),
    "family_gender": ("Geschlecht", "Gender"),
    "family_age": ("Altersgruppe", "Age band"),
    "methodology": ("Methodik", "Methodology"),
    "definitions": ("Definitionen der Kennzahlen", "Metric definitions"),
    "definitions_note": (
        "Die Definitionen stammen unverändert aus der Berechnung der Kennzahlen und "
        "sind daher englisch.",
        "The definitions are quoted from the code that computes each metric.",
    ),
    "scope_rule": (
        "Abgrenzung: Es zählen Teilnehmende aus den geförderten Städten und Tandems, "
        "deren neuzugezogene Person dort wohnt; Daten vom Beginn des Förderzeitraums "
        "bis zu seinem Ende oder dem Datenstand, je nachdem, was früher ist. "
        "Datumsangaben gelten in der Zeitzone Europe/Berlin.",
        "Scope: participants from the funded cities and tandems whose newcomer lives "
        "there; data from the start of the funded period up to its end or the data "
        "date, whichever is earlier. Dates are Europe/Berlin calendar dates.",
    ),
    "consent_rule": (
        "Befragung: Ausgewertet werden nur Teilnehmende, die der Nutzung ihrer Antworten "
        "für die Forschung ausdrücklich zugestimmt haben, und nur Paare aus "
        "Eingangsbefragung und Nachbefragung nach 3 bzw. 12 Monaten.",
        "Surveys: only participants who explicitly consented to research use of their "
        "answers are included, and only pairs of a baseline answer and a 3- or "
        "12-month follow-up.",
    ),
    "suppression_rule": (
        "Datenschutz: Der Bericht enthält nur zusammengefasste Zahlen. Eine Zelle, "
        "hinter der 1 bis 4 Fälle stehen, wird unterdrückt und als „weniger als 5“ "
        "ausgewiesen. Ist in einer Gruppe von Zellen, die sich zur Gesamtzahl addieren "
        "(Städte, Gruppen, Geschlechter, Altersgruppen), genau eine Zelle unterdrückt, "
        "wird auch die kleinste andere Zelle unterdrückt (sekundäre Unterdrückung), "
        "damit sich kein Wert durch Subtraktion zurückrechnen lässt. Bei unterdrückten "
        "Zellen entfallen auch Konfidenzintervall und n.",
        "Privacy: the report contains aggregates only. A cell with 1 to 4 units behind "
        "it is suppressed and shown as “fewer than 5”. Where exactly one cell of a "
        "family that adds up to the total (cities, groups, genders, age bands) is "
        "suppressed, the smallest other cell is suppressed too (secondary suppression), "
        "so no value can be recovered by subtraction. Suppressed cells show no "
        "confidence interval and no n either.",
    ),
    "ci_rule": (
        "Unsicherheit: 95-%-Konfidenzintervalle; Mittelwerte mit der t-Verteilung, "
        "Anteile nach Wilson, Überlebenskurve nach Greenwood. Zählungen und Mediane "
        "haben kein Intervall.",
        "Uncertainty: 95% confidence intervals; means by the t distribution, shares by "
        "Wilson, the survival curve by Greenwood. Counts and medians have none.",
    ),
    "no_data_legend": ("— = keine Daten", "— = no data"),
    "data_quality": ("Anhang: Datenqualität", "Appendix: data quality"),
    "data_quality_intro": (
        "Jede gelesene Zeile wird übernommen, in Quarantäne gestellt (Regelverstoß) oder "
        "durch eine neuere Fassung ersetzt.",
        "Every row read is accepted, quarantined (it broke a rule) or superseded by a "
        "newer version.",
    ),
    "feed": ("Datenquelle", "Feed"),
    "rows_read": ("gelesen", "read"),
    "rows_accepted": ("übernommen", "accepted"),
    "rows_quarantined": ("Quarantäne", "quarantined"),
    "rows_superseded": ("ersetzt", "superseded"),
    "checks": ("Prüfungen", "Checks"),
    "check": ("Prüfung", "Check"),
    "result": ("Ergebnis", "Result"),
    "detail": ("Details", "Detail"),
    "passed": ("bestanden", "passed"),
    "failed": ("nicht bestanden", "failed"),
    "no_checks": ("Keine Angaben.", "None reported."),
    "provenance": ("Herkunft der Daten", "Provenance"),
    "run_id": ("Lauf-ID", "Run id"),
    "code_version": ("Code-Version", "Code version"),
    "file": ("Datei", "File"),
    "sha256": ("SHA-256", "SHA-256"),
    "no_files": ("Keine Eingabedateien angegeben.", "No input files listed."),
    "metric": ("Kennzahl", "Metric"),
    "value": ("Wert", "Value"),
    "ci": ("95-%-KI", "95% CI"),
    "n": ("n", "n"),
    "month": ("Monat", "Month"),
    "count": ("Anzahl", "Number"),
    "registrations": ("Anmeldungen", "Registrations"),
    "matches": ("Vermittelte Tandems", "Matches made"),
    "per_month": (
        "Anmeldungen und vermittelte Tandems pro Monat",
        "Registrations and matches per month",
    ),
    "per_month_caption": (
        "Anmeldungen und vermittelte Tandems pro Monat. Ein Dreieck auf der Grundlinie "
        "markiert einen Monat mit weniger als 5 Fällen (Wert unterdrückt).",
        "Registrations and matches made per month. A triangle on the baseline marks a "
        "month with fewer than 5 (value suppressed).",
    ),
    "survey_chart_caption": (
        "Mittlere Veränderung je Frage mit 95-%-Konfidenzintervall; n = Zahl der "
        "Befragten mit beiden Antworten. Die Haltungsskala (0–100) hat eine eigene Achse.",
        "Mean change per item with its 95% confidence interval; n = respondents with both "
        "answers. The attitude thermometer (0–100) has its own axis.",
    ),
    "survey_not_shown": (
        "Nicht im Diagramm (weniger als 5 oder keine Daten):",
        "Not in the chart (fewer than 5 or no data):",
    ),
    "mean_change": ("Mittlere Veränderung", "Mean change"),
    "improved_belonging": (
        "Anteil mit mehr Zugehörigkeit (mindestens +1)",
        "Share with more belonging (at least +1)",
    ),
    "mean_change_points": ("Veränderung (Skalenpunkte)", "Change (scale points)"),
    "mean_change_thermo": ("Veränderung (0–100)", "Change (0–100)"),
    "wave": ("Nachbefragung", "Follow-up"),
    "survival_chart": ("Bestehen der Tandems", "Tandem survival"),
    "survival_caption": (
        "Geschätzter Anteil noch aktiver Tandems nach Tagen seit der Vermittlung "
        "(Kaplan-Meier) mit 95-%-Band (Greenwood). Die Linie markiert 182 Tage.",
        "Estimated share of tandems still active by days since matching (Kaplan-Meier) "
        "with its 95% band (Greenwood). The line marks 182 days.",
    ),
    "days_since_match": ("Tage seit der Vermittlung", "Days since matching"),
    "still_active": ("noch aktiv", "still active"),
    "survival_no_data": (
        "Für eine Überlebenskurve liegen nicht genug Tandems vor.",
        "There are not enough tandems for a survival curve.",
    ),
    "no_data_title": ("Keine Daten im Förderzeitraum", "No data in the funded period"),
    "no_data_sentence": (
        "Für die geförderten Städte liegen im Förderzeitraum bis zum Datenstand keine "
        "Anmeldungen, Tandems, Rückmeldungen oder Befragungen vor. Deshalb enthält "
        "dieser Bericht keine Kennzahlen.",
        "The funded cities have no registrations, matches, feedback or survey answers in "
        "the funded period up to the data date, so this report contains no figures.",
    ),
    "fewer_than_5": ("weniger als 5", "fewer than 5"),
    "no_data": ("keine Daten", "no data"),
    "days_unit": ("Tage", "days"),
    "key_figures": ("Kennzahlen", "Key figures"),
    "page": ("Seite", "Page"),
}

TEXT: dict[str, dict[str, str]] = {
    lang: {key: pair[i] for key, pair in _TEXT.items()} for i, lang in enumerate(("de", "en"))
}
"""``TEXT[lang][key]``: every fixed sentence and heading of a report."""
