"""The data contract (``shared/spec/CONTRACT.md``) as constants: feeds, columns, rules' vocabularies.

Everything that validates or generates inbox data reads its column lists and allowed values
from here, so a contract change is a change in one place.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Feed:
    """One inbox feed: its file-name prefix, its columns, which are required, its key and core table."""

    name: str
    columns: tuple[str, ...]
    required: frozenset[str]
    key: tuple[str, ...]
    core_table: str | None
    #: Text columns with a distinct value in (nearly) every row: ids and timestamps. The
    #: warehouse stores them uncompressed in raw and core, because DuckDB's dictionary+FSST
    #: analysis costs more time than the space it saves is worth on them (22.7 M feedback
    #: rows: raw written 3.9 s faster, core 3.0 s, for about 1 GB more on disk).
    uncompressed: tuple[str, ...] = ()


REGISTRATIONS = Feed(
    name="registrations",
    columns=(
        "participant_id",
        "registered_at",
        "group",
        "city",
        "district",
        "postcode",
        "birth_year",
        "gender",
        "languages",
        "learning_languages",
        "interests",
        "availability",
        "gender_preference",
        "arrival_year",
        "consent_research",
        "status",
    ),
    required=frozenset(
        {
            "participant_id",
            "registered_at",
            "group",
            "city",
            "languages",
            "interests",
            "consent_research",
        }
    ),
    key=("participant_id",),
    core_table="participants",
    uncompressed=("participant_id", "registered_at"),
)

MATCHES = Feed(
    name="matches",
    columns=("match_id", "newcomer_id", "local_id", "matched_at", "ended_at", "end_reason"),
    required=frozenset({"match_id", "newcomer_id", "local_id", "matched_at"}),
    key=("match_id",),
    core_table="matches",
    uncompressed=("match_id", "newcomer_id", "local_id", "matched_at", "ended_at"),
)

FEEDBACK = Feed(
    name="feedback",
    columns=(
        "feedback_id",
        "participant_id",
        "event_kind",
        "match_id",
        "event_id",
        "event_date",
        "attended",
        "rating",
        "would_meet_again",
        "new_contacts_other_group",
        "comment",
        "submitted_at",
    ),
    # match_id and event_id are required only for one event_kind each: a file may lack either.
    required=frozenset(
        {"feedback_id", "participant_id", "event_kind", "event_date", "attended", "submitted_at"}
    ),
    key=("feedback_id",),
    core_table="feedback",
    # Not event_id: most rows have none, and the few events repeat (no time saved, 0.3 GB).
    uncompressed=("feedback_id", "participant_id", "match_id", "submitted_at"),
)

SURVEY_ITEMS: dict[str, tuple[int, int]] = {
    "belonging": (1, 5),
    "trust_people": (1, 5),
    "outgroup_contact": (0, 4),
    "outgroup_attitude": (0, 100),
    "lonely_1": (1, 3),
    "lonely_2": (1, 3),
    "lonely_3": (1, 3),
    "diversity_acceptance": (1, 5),
}

SURVEYS = Feed(
    name="surveys",
    columns=("participant_id", "wave", "answered_at", *SURVEY_ITEMS),
    required=frozenset({"participant_id", "wave", "answered_at"}),
    key=("participant_id", "wave"),
    core_table="surveys",
    uncompressed=("participant_id", "answered_at"),
)

ERASURES = Feed(
    name="erasures",
    columns=("participant_id", "requested_at"),
    required=frozenset({"participant_id", "requested_at"}),
    key=("participant_id",),
    core_table=None,
)

FEEDS: tuple[Feed, ...] = (REGISTRATIONS, MATCHES, FEEDBACK, SURVEYS, ERASURES)
FEEDS_BY_NAME: dict[str, Feed] = {f.name: f for f in FEEDS}
FILE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".jsonl")

LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_row", "_ingested_at")

#: What "surrounding spaces" are trimmed from a value: every character Python's
#: ``str.strip()`` removes (spaces, tabs, line breaks, no-break and other Unicode spaces;
#: none lies above U+3000). DuckDB's ``trim(s)`` removes only the Unicode space separators,
#: so a tab-only city would have counted as a city.
WHITESPACE: str = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def trim_sql(expr: str, also: str = "") -> str:
    """SQL that trims :data:`WHITESPACE` (and the characters ``also``) from both ends of
    ``expr``, as ``str.strip()`` does.

    DuckDB's ``trim`` with a set of characters costs 20 times its plain ``trim`` (16 s for
    22 M ids), so it only runs on text that starts or ends with one of them (0.9 s); not on
    empty text, which every set "contains".
    """
    # One literal (its control characters written as they are), not a chain of chr():
    # macros repeat this expression many times, and DuckDB plans every copy.
    chars = "'" + (WHITESPACE + also).replace("'", "''") + "'"
    edge = f"contains({chars}, left({expr}, 1)) OR contains({chars}, right({expr}, 1))"
    return f"CASE WHEN {expr} <> '' AND ({edge}) THEN trim({expr}, {chars}) ELSE {expr} END"


GROUPS = ("newcomer", "local")
GENDERS = ("female", "male", "diverse", "unspecified")
GENDER_PREFERENCES = ("any", "same")
STATUSES = ("waiting", "matched", "paused", "left")
END_REASONS = ("completed", "no_contact", "moved", "mismatch", "other")
EVENT_KINDS = ("tandem_meeting", "group_event")
WAVES = ("baseline", "followup_3m", "followup_12m")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYPARTS = ("morning", "afternoon", "evening")
AVAILABILITY_SLOTS: tuple[str, ...] = tuple(f"{d}_{p}" for d in WEEKDAYS for p in DAYPARTS)

#: The 184 two-letter ISO 639-1 language codes.
ISO_639_1: tuple[str, ...] = tuple(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "sh",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)

INTERESTS_CSV = Path(__file__).with_name("interests.csv")


@dataclass(frozen=True)
class Interest:
    """One interest slug with its German and English label."""

    slug: str
    label_de: str
    label_en: str


@cache
def interests() -> tuple[Interest, ...]:
    """The interest vocabulary (a copy of ``shared/spec/interests.csv`` shipped with the package)."""
    with INTERESTS_CSV.open(encoding="utf-8") as fh:
        return tuple(Interest(r["slug"], r["label_de"], r["label_en"]) for r in csv.DictReader(fh))


def feed_of(file_name: str) -> Feed | None:
    """The feed a file belongs to by its name's prefix (case-insensitive), or None."""
    lower = file_name.lower()
    if not lower.endswith(FILE_SUFFIXES):
        return None
    for feed in FEEDS:
        if lower.startswith(feed.name):
            return feed
    return None
