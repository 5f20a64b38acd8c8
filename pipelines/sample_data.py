"""Synthetic inbox data for the bring-together impact pipeline.

Writes the five feeds of ``CONTRACT.md`` (registrations, matches, feedback, surveys, erasures)
and a ``funders.toml`` for a made-up but plausible Saxon platform: newcomers and locals in
Leipzig, Dresden, Chemnitz and five smaller cities, paired into tandems that meet, rate their
meetings, visit group events and answer a baseline and follow-up survey.

Large runs look like a national rollout (see :func:`geography`): once Leipzig would have more
than ``CITY_CAP`` (36,000) participants, that is above about 81,800 participants, further
German cities join, so that no city holds more than about 36,000 participants (about 12,000
of them waiting) and the per-city matching stays the size MATCHING.md (Scale) expects.
Smaller runs use the eight Saxon cities exactly as before.

Everything is drawn with numpy and assembled with polars, column by column, so a run with a
million participants (about twenty million feedback rows) takes well under a minute; the
same seed always gives byte-identical files (file modification times included, they are set
from ``as_of``; only ``funders.toml`` keeps the time it was written).

Command line::

    python -m pipelines.sample_data --out data/inbox --funders data/funders.toml \\
        --participants 5000 --seed 42 --as-of 2026-11-25 [--bad-rows] [--formats csv,parquet,jsonl]

How the data exercises the pipeline:

* timestamps come with an offset (``+01:00``/``+02:00``), as UTC (``Z``) or as naive Berlin wall
  time; Parquet feedback files alternate between UTC and naive Berlin timestamps;
* registrations are split by year, the newest file has a UTF-8 BOM; a few cities carry a
  trailing space; ``consent_research`` is spelled ``true/false``, ``1/0`` or ``yes/no``;
* matches come as an earlier export and a later one (newer modification time) that repeats the
  matches that ended since, now with ``ended_at``;
* the chance that a tandem lasts rises with its MATCHING.md score, lasting tandems meet about
  weekly (most are *sustained* in the METRICS.md sense), others meet a few times or never;
  some fizzled tandems are never closed, so only the 60-days-of-silence rule ends them;
* a few feedback comments hold quotes, commas, line breaks, emoji, HTML or start with ``=``,
  ``+`` or ``-`` (free text to store verbatim and escape on output);
* follow-up surveys improve with a lasting tandem; some survey answers come from people
  without research consent (the metrics must leave them out);
* every valid instant lies on a Berlin date before ``as_of``; generated instants have a UTC
  time of day between 05:00 and about 21:00, so their Berlin date is their UTC date and no
  naive wall time falls into a DST gap or fold;
* ``--bad-rows`` appends rows that each break exactly one rule of the contract (plus two CSV
  rows with a wrong number of fields) to the text files of each feed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from tqdm import tqdm

from pipelines.contract import (
    AVAILABILITY_SLOTS,
    END_REASONS,
    ERASURES,
    FEEDBACK,
    MATCHES,
    REGISTRATIONS,
    SURVEYS,
    interests,
)

__all__ = [
    "DEFAULT_AS_OF",
    "FORMATS",
    "funders_toml",
    "generate",
    "geography",
    "main",
    "match_scores",
]

DEFAULT_AS_OF = date(2026, 11, 25)
FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl")
FEED_NAMES: tuple[str, ...] = ("registrations", "matches", "feedback", "surveys", "erasures")

DAY = 86_400
EPOCH = date(1970, 1, 1)
#: Generated instants have a UTC time of day in [TOD_MIN, TOD_MAX): their Berlin date is the
#: UTC date, and a naive Berlin rendering never hits the DST gap (02:00-03:00 local) or fold.
TOD_MIN = 5 * 3600
TOD_MAX = 21 * 3600
HISTORY_DAYS = 730  # registrations start about two years before as_of
FEEDBACK_ROWS_PER_FILE = 1_000_000
CHUNK = 1 << 18  # rows per chunk for the (rows x vocabulary) random draws
PROGRESS_THRESHOLD = 100_000
MIN_PARTICIPANTS = 50

# ---------------------------------------------------------------------------------------------
# Geography: cities, their real districts and postcodes.
# Each district: (name, postcodes, weight among newcomers, weight among locals).
# ---------------------------------------------------------------------------------------------

District = tuple[str, tuple[str, ...], float, float]
#: (name, slug for event ids, share of participants, share of newcomers, districts)
City = tuple[str, str, float, float, tuple[District, ...]]

CITIES: tuple[City, ...] = (
    (
        "Leipzig",
        "leipzig",
        0.44,
        0.52,
        (
            ("Zentrum", ("04109",), 1.0, 1.0),
            ("Zentrum-Süd", ("04107",), 0.8, 1.0),
            ("Zentrum-Ost", ("04103",), 1.0, 0.8),
            ("Südvorstadt", ("04275",), 0.7, 2.0),
            ("Connewitz", ("04277",), 0.6, 2.2),
            ("Plagwitz", ("04229",), 0.7, 1.8),
            ("Schleußig", ("04229",), 0.4, 1.5),
            ("Lindenau", ("04177",), 1.0, 1.8),
            ("Altlindenau", ("04177",), 1.0, 1.0),
            ("Leutzsch", ("04179",), 0.6, 0.9),
            ("Gohlis", ("04155", "04157"), 0.8, 1.8),
            ("Eutritzsch", ("04129",), 0.9, 1.0),
            ("Möckern", ("04159",), 0.7, 0.8),
            ("Reudnitz-Thonberg", ("04317",), 1.4, 1.6),
            ("Volkmarsdorf", ("04315",), 2.4, 0.8),
            ("Neustadt-Neuschönefeld", ("04315",), 2.2, 0.9),
            ("Anger-Crottendorf", ("04318",), 1.2, 0.8),
            ("Stötteritz", ("04299",), 0.6, 1.0),
            ("Paunsdorf", ("04328",), 1.6, 0.6),
            ("Grünau", ("04205", "04207", "04209"), 2.2, 0.9),
            ("Lößnig", ("04279",), 1.0, 0.6),
            ("Mockau", ("04357",), 1.5, 0.6),
            ("Schönefeld", ("04347",), 1.3, 0.7),
        ),
    ),
    (
        "Dresden",
        "dresden",
        0.28,
        0.53,
        (
            ("Innere Altstadt", ("01067",), 0.6, 0.8),
            ("Friedrichstadt", ("01067",), 1.8, 0.6),
            ("Innere Neustadt", ("01097",), 0.8, 1.0),
            ("Äußere Neustadt", ("01099",), 0.8, 2.2),
            ("Pieschen", ("01127",), 1.2, 1.6),
            ("Striesen", ("01309",), 0.5, 1.8),
            ("Johannstadt", ("01307",), 1.8, 1.2),
            ("Blasewitz", ("01277",), 0.4, 1.3),
            ("Gorbitz", ("01169",), 2.4, 0.6),
            ("Prohlis", ("01239",), 2.2, 0.6),
            ("Reick", ("01237",), 1.4, 0.6),
            ("Löbtau", ("01159",), 1.2, 1.2),
            ("Cotta", ("01157",), 1.0, 0.9),
            ("Leuben", ("01257",), 0.8, 0.8),
            ("Südvorstadt", ("01069",), 1.0, 1.3),
            ("Klotzsche", ("01109",), 0.5, 0.8),
        ),
    ),
    (
        "Chemnitz",
        "chemnitz",
        0.12,
        0.56,
        (
            ("Zentrum", ("09111",), 1.8, 1.0),
            ("Kaßberg", ("09112",), 0.6, 2.0),
            ("Schloßchemnitz", ("09113",), 0.8, 1.5),
            ("Sonnenberg", ("09130",), 2.2, 0.8),
            ("Yorckgebiet", ("09130",), 1.4, 0.7),
            ("Bernsdorf", ("09126",), 0.8, 1.5),
            ("Lutherviertel", ("09126",), 0.8, 1.0),
            ("Hilbersdorf", ("09131",), 1.2, 0.7),
            ("Gablenz", ("09127",), 1.0, 0.9),
            ("Markersdorf", ("09123",), 1.6, 0.6),
            ("Helbersdorf", ("09120",), 1.2, 0.6),
            ("Altendorf", ("09116",), 0.7, 1.0),
            ("Kappel", ("09119",), 1.0, 0.7),
        ),
    ),
    (
        "Zwickau",
        "zwickau",
        0.045,
        0.55,
        (
            ("Innenstadt", ("08056",), 1.5, 1.0),
            ("Marienthal", ("08060",), 1.2, 1.0),
            ("Eckersbach", ("08066",), 1.4, 0.8),
            ("Neuplanitz", ("08062",), 1.5, 0.7),
            ("Pölbitz", ("08058",), 0.8, 1.0),
            ("Weißenborn", ("08058",), 0.6, 1.2),
            ("Oberplanitz", ("08064",), 0.5, 1.0),
        ),
    ),
    (
        "Plauen",
        "plauen",
        0.03,
        0.55,
        (
            ("Bahnhofsvorstadt", ("08523",), 1.4, 1.0),
            ("Haselbrunn", ("08525",), 1.2, 1.0),
            ("Preißelpöhl", ("08525",), 1.0, 1.0),
            ("Neundorf", ("08527",), 0.6, 1.2),
            ("Ostvorstadt", ("08527",), 1.2, 0.8),
            ("Chrieschwitz", ("08529",), 1.0, 0.9),
        ),
    ),
    (
        "Görlitz",
        "goerlitz",
        0.03,
        0.55,
        (
            ("Altstadt", ("02826",), 0.8, 1.2),
            ("Innenstadt", ("02826",), 1.5, 1.2),
            ("Südstadt", ("02827",), 1.2, 0.9),
            ("Rauschwalde", ("02827",), 1.0, 0.8),
            ("Weinhübel", ("02827",), 0.8, 0.8),
            ("Königshufen", ("02828",), 1.4, 0.8),
        ),
    ),
    (
        "Bautzen",
        "bautzen",
        0.025,
        0.55,
        (
            ("Innenstadt", ("02625",), 1.0, 1.2),
            ("Gesundbrunnen", ("02625",), 1.6, 0.8),
            ("Südvorstadt", ("02625",), 1.0, 1.0),
            ("Ostvorstadt", ("02625",), 1.0, 0.9),
            ("Westvorstadt", ("02625",), 0.8, 1.0),
            ("Seidau", ("02625",), 0.6, 0.8),
        ),
    ),
    (
        "Freiberg",
        "freiberg",
        0.03,
        0.55,
        (
            ("Altstadt", ("09599",), 0.8, 1.3),
            ("Bahnhofsvorstadt", ("09599",), 1.2, 0.9),
            ("Friedeburg", ("09599",), 1.4, 0.8),
            ("Wasserberg", ("09599",), 1.2, 0.9),
            ("Seilerberg", ("09599",), 0.7, 1.0),
            ("Zug", ("09599",), 0.5, 1.0),
        ),
    ),
)
CITY_NAMES: tuple[str, ...] = tuple(c[0] for c in CITIES)
CITY_SLUGS: tuple[str, ...] = tuple(c[1] for c in CITIES)

# ---------------------------------------------------------------------------------------------
# National rollout: large runs spread over further German cities.
#
# A real city has a few thousand waiting people (MATCHING.md, Scale), so a large run must not
# pile everybody into the eight Saxon cities. Cities join in rollout order (Saxony first, then
# the national list, largest first) until the expected number of participants of the largest
# city is at most CITY_CAP; as long as the Saxon cities suffice (up to CITY_CAP / 0.44, about
# 81,800 participants) the geography is exactly ``CITIES``. A city's reach grows sublinearly
# with its population (``population ** CITY_REACH_EXPONENT``, local chapters are limited by
# their coordinators); the Saxon cities keep their shares among themselves, their block weighs
# as much as their populations would, which gives Saxony, the platform's home, about 7.6% of a
# national rollout against about 5% of the population of these cities. At 1,000,000
# participants 83 cities take part (Berlin about 35,700, Leipzig about 34,800 participants).
# Only when the whole list is not enough (from about 1,045,000 participants) is a city whose
# expected size exceeds CITY_CAP split into areas of consecutive districts, named after the
# first one the German way ("Berlin-Innenstadt", "Leipzig-Altlindenau"); each area is a city
# of its own in the data (so from then on a funder scope "Leipzig" no longer matches). A
# city is split into at most as many areas as it has districts (6 to 23), so the bound holds
# up to about 16 million participants.
# ---------------------------------------------------------------------------------------------

#: Most expected participants of one city (or area) in a large run.
CITY_CAP = 36_000
CITY_REACH_EXPONENT = 0.4
NATIONAL_NEWCOMER_SHARE = 0.54

#: Saxon cities' populations (thousands), in ``CITIES`` order; their block weighs as much as
#: these populations would under the reach exponent.
SAXON_POPULATION: tuple[int, ...] = (616, 564, 248, 87, 63, 56, 38, 40)

#: Further cities of a national rollout: (name, population in thousands, first and last postcode).
NATIONAL_CITIES: tuple[tuple[str, int, str, str], ...] = (
    ("Berlin", 3755, "10115", "14199"),
    ("Hamburg", 1892, "20095", "22769"),
    ("München", 1512, "80331", "81929"),
    ("Köln", 1084, "50667", "51149"),
    ("Frankfurt am Main", 773, "60311", "60599"),
    ("Stuttgart", 633, "70173", "70619"),
    ("Düsseldorf", 629, "40210", "40629"),
    ("Dortmund", 595, "44135", "44388"),
    ("Essen", 584, "45127", "45359"),
    ("Bremen", 577, "28195", "28779"),
    ("Hannover", 548, "30159", "30669"),
    ("Nürnberg", 527, "90402", "90491"),
    ("Duisburg", 503, "47051", "47279"),
    ("Bochum", 364, "44787", "44894"),
    ("Wuppertal", 358, "42103", "42399"),
    ("Bielefeld", 338, "33602", "33739"),
    ("Bonn", 336, "53111", "53229"),
    ("Münster", 320, "48143", "48167"),
    ("Mannheim", 315, "68159", "68309"),
    ("Karlsruhe", 308, "76131", "76229"),
    ("Augsburg", 301, "86150", "86199"),
    ("Wiesbaden", 283, "65183", "65207"),
    ("Mönchengladbach", 268, "41061", "41239"),
    ("Gelsenkirchen", 263, "45879", "45899"),
    ("Aachen", 249, "52062", "52080"),
    ("Braunschweig", 251, "38100", "38126"),
    ("Kiel", 247, "24103", "24159"),
    ("Halle (Saale)", 238, "06108", "06132"),
    ("Magdeburg", 240, "39104", "39130"),
    ("Freiburg im Breisgau", 237, "79098", "79117"),
    ("Krefeld", 228, "47798", "47839"),
    ("Mainz", 220, "55116", "55131"),
    ("Lübeck", 218, "23552", "23570"),
    ("Erfurt", 214, "99084", "99099"),
    ("Oberhausen", 210, "46045", "46149"),
    ("Rostock", 209, "18055", "18147"),
    ("Kassel", 204, "34117", "34134"),
    ("Hagen", 190, "58089", "58135"),
    ("Potsdam", 185, "14467", "14482"),
    ("Saarbrücken", 181, "66111", "66133"),
    ("Hamm", 180, "59063", "59077"),
    ("Ludwigshafen am Rhein", 173, "67059", "67071"),
    ("Oldenburg", 171, "26121", "26135"),
    ("Mülheim an der Ruhr", 171, "45468", "45481"),
    ("Osnabrück", 166, "49074", "49090"),
    ("Leverkusen", 164, "51371", "51381"),
    ("Darmstadt", 162, "64283", "64297"),
    ("Heidelberg", 160, "69115", "69126"),
    ("Solingen", 159, "42651", "42719"),
    ("Regensburg", 157, "93047", "93059"),
    ("Herne", 157, "44623", "44653"),
    ("Paderborn", 153, "33098", "33106"),
    ("Neuss", 153, "41460", "41472"),
    ("Ingolstadt", 141, "85049", "85057"),
    ("Offenbach am Main", 131, "63065", "63075"),
    ("Fürth", 131, "90762", "90768"),
    ("Würzburg", 128, "97070", "97084"),
    ("Ulm", 127, "89073", "89081"),
    ("Heilbronn", 127, "74072", "74081"),
    ("Pforzheim", 127, "75172", "75181"),
    ("Wolfsburg", 125, "38440", "38448"),
    ("Göttingen", 117, "37073", "37085"),
    ("Bottrop", 117, "46236", "46244"),
    ("Reutlingen", 117, "72760", "72770"),
    ("Koblenz", 115, "56068", "56077"),
    ("Bremerhaven", 115, "27568", "27580"),
    ("Recklinghausen", 110, "45657", "45665"),
    ("Erlangen", 114, "91052", "91058"),
    ("Bergisch Gladbach", 112, "51427", "51469"),
    ("Jena", 111, "07743", "07751"),
    ("Remscheid", 112, "42853", "42899"),
    ("Trier", 111, "54290", "54296"),
    ("Salzgitter", 104, "38226", "38259"),
    ("Moers", 104, "47441", "47447"),
    ("Siegen", 101, "57072", "57080"),
    ("Hildesheim", 101, "31134", "31141"),
    ("Cottbus", 99, "03042", "03055"),
    ("Gera", 93, "07545", "07552"),
    ("Schwerin", 98, "19053", "19063"),
    ("Dessau-Roßlau", 75, "06842", "06862"),
)

#: Generic districts of the national cities: (name, weight among newcomers, among locals);
#: a city has the first 6 to 16 of them, by population.
GENERIC_DISTRICTS: tuple[tuple[str, float, float], ...] = (
    ("Innenstadt", 1.4, 1.0),
    ("Altstadt", 0.6, 1.4),
    ("Nordstadt", 1.6, 0.8),
    ("Südstadt", 0.8, 1.5),
    ("Oststadt", 1.5, 0.8),
    ("Weststadt", 1.0, 1.2),
    ("Bahnhofsviertel", 1.8, 0.6),
    ("Neustadt", 1.0, 1.5),
    ("Gartenstadt", 0.6, 1.2),
    ("Universitätsviertel", 0.7, 1.6),
    ("Parkviertel", 0.8, 1.1),
    ("Mitte", 1.2, 1.0),
    ("Schlossviertel", 0.5, 1.3),
    ("Lindenhof", 1.1, 1.0),
    ("Rosenhöhe", 0.7, 1.0),
    ("Waldsiedlung", 1.3, 0.7),
)


def _slug(name: str) -> str:
    """ASCII slug of a place name for event ids ("Halle (Saale)" -> "halle-saale")."""
    text = name.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return "-".join("".join(ch if ch.isascii() and ch.isalnum() else " " for ch in text).split())


def _national_city(name: str, population: int, lo: str, hi: str) -> City:
    """A national city with generic districts; each gets one or two postcodes of its range."""
    k = min(len(GENERIC_DISTRICTS), 6 + population // 200)
    first, span = int(lo), int(hi) - int(lo) + 1
    districts = []
    for j, (district, wn, wl) in enumerate(GENERIC_DISTRICTS[:k]):
        a, b = first + j * span // k, first + (j + 1) * span // k
        codes = sorted({a, a + (b - a) // 2}) if b - a >= 2 else [a]
        districts.append((district, tuple(f"{c:05d}" for c in codes), wn, wl))
    weight = float(population) ** CITY_REACH_EXPONENT
    return (name, _slug(name), weight, NATIONAL_NEWCOMER_SHARE, tuple(districts))


def _split_city(city: City, areas: int) -> list[City]:
    """A city as ``areas`` cities of consecutive districts, named after their first district
    the German way ("Leipzig-Grünau", "Frankfurt-Innenstadt", "Halle-Nordstadt").
    """
    name, _, weight, newcomer_share, districts = city
    areas = min(areas, len(districts))
    if areas <= 1:
        return [city]
    short = re.sub(r"\s+(am|an der|im) .*$|\s*\(.*\)$", "", name)
    out = []
    for part in np.array_split(np.arange(len(districts)), areas):
        first = districts[int(part[0])][0]
        out.append(
            (
                f"{short}-{first}",
                f"{_slug(short)}-{_slug(first)}",
                weight / areas,
                newcomer_share,
                tuple(districts[int(i)] for i in part),
            )
        )
    return out


def geography(participants: int) -> tuple[City, ...]:
    """The cities of a run of ``participants``: ``CITIES`` for small runs, a national rollout
    for large ones (see above); the expected size of every city stays at most ``CITY_CAP``
    as long as no city has to be split into more areas than it has districts.
    """
    if participants * max(c[2] for c in CITIES) <= CITY_CAP * sum(c[2] for c in CITIES):
        return CITIES
    saxon_block = sum(float(p) ** CITY_REACH_EXPONENT for p in SAXON_POPULATION)
    saxon_total = sum(c[2] for c in CITIES)
    saxony = [(*c[:2], c[2] / saxon_total * saxon_block, *c[3:]) for c in CITIES]
    national = [_national_city(*c) for c in NATIONAL_CITIES]
    cities: list[City] = saxony
    for extra in national:
        weights = [c[2] for c in cities]
        if participants * max(weights) <= CITY_CAP * sum(weights):
            break
        cities = [*cities, extra]
    total = sum(c[2] for c in cities)
    out: list[City] = []
    for c in cities:
        out += _split_city(c, math.ceil(participants * c[2] / (CITY_CAP * total) - 1e-9))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Languages, interests, availability.
# ---------------------------------------------------------------------------------------------

#: Language vocabulary of the generator (a subset of ISO 639-1); bit i of a mask is LANGS[i].
LANGS: tuple[str, ...] = (
    "de", "en", "ar", "uk", "ru", "fa", "ps", "ti", "tr", "ku", "fr", "so", "es", "vi", "ro",
    "pl", "sq", "ur", "hi", "zh", "am", "it",
)  # fmt: skip
L = {code: i for i, code in enumerate(LANGS)}

#: First language of newcomers.
NEWCOMER_NATIVE: dict[str, float] = {
    "ar": 0.20, "uk": 0.20, "ru": 0.07, "fa": 0.10, "ps": 0.05, "ti": 0.04, "tr": 0.06,
    "ku": 0.05, "en": 0.03, "fr": 0.03, "so": 0.03, "es": 0.03, "vi": 0.03, "ro": 0.02,
    "pl": 0.02, "sq": 0.02, "ur": 0.02, "hi": 0.02, "zh": 0.02,
}  # fmt: skip
#: Further languages that go with a first language: (language, probability).
NEWCOMER_SECOND: dict[str, tuple[tuple[str, float], ...]] = {
    "uk": (("ru", 0.6),),
    "ku": (("ar", 0.35), ("tr", 0.4)),
    "ps": (("fa", 0.5),),
    "ti": (("am", 0.3), ("ar", 0.2)),
    "so": (("ar", 0.3),),
    "ur": (("hi", 0.3),),
    "fa": (("ar", 0.05),),
}
LOCAL_EXTRA: dict[str, float] = {
    "en": 0.72, "fr": 0.12, "es": 0.08, "ru": 0.07, "tr": 0.03, "pl": 0.02, "vi": 0.015,
    "ar": 0.015, "it": 0.03,
}  # fmt: skip
LOCAL_LEARNING: dict[str, float] = {
    "ar": 0.28, "uk": 0.14, "es": 0.22, "fr": 0.14, "ru": 0.08, "fa": 0.06, "it": 0.08,
}  # fmt: skip

INTEREST_SLUGS: tuple[str, ...] = tuple(i.slug for i in interests())
_INTEREST_POPULARITY: dict[str, float] = {
    "cooking": 1.4, "baking": 0.6, "football": 1.0, "running": 0.8, "cycling": 0.9,
    "hiking": 1.0, "swimming": 0.6, "yoga": 0.6, "dancing": 0.6, "music_making": 0.7,
    "concerts": 1.0, "theatre": 0.6, "cinema": 1.0, "reading": 0.9, "writing": 0.4,
    "photography": 0.7, "painting": 0.5, "crafts": 0.5, "gardening": 0.7, "board_games": 0.9,
    "video_games": 0.6, "chess": 0.5, "museums": 0.7, "history": 0.5, "languages": 1.3,
    "technology": 0.6, "coding": 0.5, "volunteering": 0.7, "parenting": 0.6,
    "job_search": 0.5, "nature": 1.0, "travel": 1.0,
}  # fmt: skip
_INTEREST_TILT_NEWCOMER: dict[str, float] = {
    "job_search": 5.0, "languages": 2.2, "parenting": 2.2, "football": 1.6, "cooking": 1.4,
    "coding": 1.3, "technology": 1.2, "chess": 1.2, "theatre": 0.6, "gardening": 0.7,
    "history": 0.7, "writing": 0.7,
}  # fmt: skip
_INTEREST_TILT_LOCAL: dict[str, float] = {
    "job_search": 0.1, "hiking": 1.5, "concerts": 1.4, "board_games": 1.3, "volunteering": 1.8,
    "travel": 1.5, "languages": 1.3, "museums": 1.3, "gardening": 1.3, "theatre": 1.3,
    "parenting": 0.8,
}  # fmt: skip

SLOTS: tuple[str, ...] = AVAILABILITY_SLOTS

FEEDBACK_COMMENTS: tuple[str, ...] = (
    "Sehr nettes Treffen!",
    "Wir haben zusammen gekocht, war super.",
    "Leider kurzfristig abgesagt.",
    "Great conversation, we practised German for an hour.",
    "Spaziergang im Park, sehr entspannt",
    "Wir waren im Museum – toll!",
    'Mein Tandem sagt: "Bis nächste Woche!"',
    "Thanks for organising, the event was fun",
    "Etwas zu laut in der Kneipe, sonst gut.",
    "Hat mir bei der Bewerbung geholfen, danke!",
    "Wir haben Brettspiele gespielt.\nNächstes Mal gehen wir ins Kino.",
    "=) super",
    "+1 für das Kochen",
    "- leider nur kurz, aber schön",
    "<3 danke für alles",
    "Kinder waren dabei, war trotzdem gut",
    "I still find it hard to understand the dialect 😅",
    "Fußball im Clara-Zetkin-Park, 2:1 gewonnen ⚽",
    "Wir sprechen jetzt Deutsch und ein bisschen Arabisch",
    "Das Fest war schön, viele neue Leute kennengelernt",
    "Ok",
    "Termin verschoben, kommt vor",
    "We talked about housing, very helpful",
    "Sehr hilfsbereit, danke <b>vielmals</b>",
    "Zu wenig Zeit, wir versuchen es nächste Woche wieder",
    "Ми гуляли містом, було чудово",
    "كان اللقاء رائعا",
    "Nicht so meins, aber nett gemeint",
    "Perfekt",
    "Wir haben Plätzchen gebacken 🎄",
)

EVENT_WEEKDAY_WEIGHT = np.array([0.7, 0.8, 1.0, 0.9, 1.0, 1.8, 0.8])  # Mon..Sun

# ---------------------------------------------------------------------------------------------
# Small helpers.
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per part of the model, so parts do not shift each other."""
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])


def _day(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def _date(day: int) -> date:
    """The date of a day number."""
    return EPOCH + timedelta(days=int(day))


def _noon(day: int) -> int:
    """Epoch seconds of noon UTC of a day number (used for file modification times)."""
    return int(day) * DAY + 12 * 3600


def _tod(rng: np.random.Generator, n: int, lo: int = TOD_MIN, hi: int = TOD_MAX) -> np.ndarray:
    """Random UTC times of day in seconds, within [lo, hi)."""
    return rng.integers(lo, hi, n, dtype=np.int64)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits of each mask."""
    return np.bitwise_count(x).astype(np.int64)


def _bit(i: int) -> np.uint64:
    return np.uint64(1) << np.uint64(i)


def _years(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _months(days: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def _codes_from_uniform(u: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Codes 0..len(probs)-1 with the given probabilities (normalised) from uniform draws."""
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    return np.searchsorted(cdf / cdf[-1], u, side="right").astype(np.int8)


def _choice_codes(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    """n draws of codes 0..len(probs)-1 with the given probabilities (normalised)."""
    return _codes_from_uniform(rng.random(n), probs)


def _hex_ids(prefix: str, index: np.ndarray, width: int, mult: int, add: int) -> pl.Series:
    """Unique, random-looking ids ``prefix + width hex digits`` from distinct indices.

    ``index * mult + add`` modulo ``16**width`` with an odd ``mult`` is a bijection, so distinct
    indices give distinct ids. Built as one Arrow string buffer (no Python loop).
    """
    n = len(index)
    modulus_bits = np.uint64(4 * width)
    mask = (np.uint64(1) << modulus_bits) - np.uint64(1)
    pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    w = len(pre) + width
    out = np.empty((n, w), dtype=np.uint8)
    out[:, : len(pre)] = pre
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        v = (index[start:stop].astype(np.uint64) * np.uint64(mult) + np.uint64(add)) & mask
        nib = (v[:, None] >> shifts[None, :]) & np.uint64(15)
        out[start:stop, len(pre) :] = digits[nib]
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes()))
    return pl.Series(arr).cast(pl.String)


def _mask_strings(masks: np.ndarray, vocab: Sequence[str]) -> pl.Series:
    """Bit masks as ``;``-joined vocabulary items in vocabulary order; an empty mask is null.

    Each byte of the mask is looked up in a 256-entry table of joined items; the pieces are
    then concatenated, skipping empty ones.
    """
    pieces = []
    for k in range(0, len(vocab), 8):
        chunk = vocab[k : k + 8]
        table = [";".join(c for j, c in enumerate(chunk) if v >> j & 1) or None for v in range(256)]
        byte = ((masks >> np.uint64(k)) & np.uint64(255)).astype(np.int64)
        pieces.append(pl.Series(table, dtype=pl.String).gather(pl.Series(byte)))
    joined = pl.select(pl.concat_str(pieces, separator=";", ignore_nulls=True).alias("x"))
    return joined.select(pl.when(pl.col("x") != "").then(pl.col("x"))).to_series()


def _sample_subsets(
    rng: np.random.Generator, log_weights: np.ndarray, group: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Per row, a weighted sample of ``k[row]`` distinct items as a bit mask.

    ``log_weights`` has one row of item log-weights per group; Gumbel top-k sampling.
    """
    n = len(group)
    n_items = log_weights.shape[1]
    kmax = int(k.max()) if n else 0
    out = np.zeros(n, dtype=np.uint64)
    if kmax == 0:
        return out
    bits = np.left_shift(np.uint64(1), np.arange(n_items, dtype=np.uint64))
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        keys = log_weights[group[start:stop]] + rng.gumbel(size=(stop - start, n_items))
        top = np.argsort(-keys, axis=1, kind="stable")[:, :kmax]
        take = np.arange(kmax)[None, :] < k[start:stop, None]
        out[start:stop] = np.bitwise_or.reduce(np.where(take, bits[top], np.uint64(0)), axis=1)
    return out


def _segment_exclusive_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` before each element, restarted for each segment."""
    csum = np.cumsum(values, dtype=np.int64)
    excl = csum - values
    nonzero = counts > 0
    starts = (np.cumsum(counts) - counts)[nonzero]
    return excl - np.repeat(excl[starts], counts[nonzero])


def _segment_offsets(counts: np.ndarray) -> np.ndarray:
    """For segments of the given lengths laid end to end: each element's index in its segment."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------------------
# The model: participants, matches, feedback, surveys, erasures (all as numpy arrays).
# ---------------------------------------------------------------------------------------------


@dataclass
class People:
    """Participants, index-aligned arrays (index order = registration order)."""

    n: int
    ids: pl.Series
    reg: np.ndarray  # epoch seconds
    reg_day: np.ndarray
    city: np.ndarray  # index into city_names
    city_names: tuple[str, ...]  # the run's cities (see geography)
    city_slugs: tuple[str, ...]
    city_space: np.ndarray  # bool: city written with a trailing space
    newcomer: np.ndarray  # bool
    district: np.ndarray  # global district index or -1
    district_names: list[str]
    postcode: np.ndarray  # index into postcode_values or -1
    postcode_values: list[str]
    birth_year: np.ndarray  # -1 = null
    gender: np.ndarray  # 0 female 1 male 2 diverse 3 unspecified 4 null
    lang: np.ndarray  # uint64 masks over LANGS
    learn: np.ndarray
    interests: np.ndarray  # uint64 masks over INTEREST_SLUGS
    avail: np.ndarray  # uint64 masks over SLOTS
    pref: np.ndarray  # 0 any 1 same 2 null
    arrival: np.ndarray  # -1 = null
    consent: np.ndarray  # bool
    status: np.ndarray  # 0 waiting 1 matched 2 paused 3 left 4 null
    leave_day: np.ndarray  # last active day


def _make_people(n: int, seed: int, as_of_day: int) -> People:
    """Draw the registrations."""
    last = as_of_day - 1
    start = as_of_day - HISTORY_DAYS
    rng = _rng(seed, "people")

    # Registration instants, density growing linearly (the platform grows).
    growth = 1.5
    u = rng.random(n)
    t = HISTORY_DAYS * (np.sqrt(1 + growth * (2 + growth) * u) - 1) / growth
    reg_day = np.minimum(start + t.astype(np.int64), last)
    tod = TOD_MIN + (rng.beta(2.0, 1.4, n) * (TOD_MAX - TOD_MIN - 1)).astype(np.int64)
    reg = np.sort(reg_day * DAY + tod, kind="stable")
    reg_day = reg // DAY

    cities = geography(n)
    city = _choice_codes(rng, n, [c[2] for c in cities]).astype(np.int64)
    city_space = rng.random(n) < 0.003
    newcomer = rng.random(n) < np.array([c[3] for c in cities])[city]

    # Districts and postcodes, tilted by group.
    district_names: list[str] = []
    postcode_values: list[str] = []
    entries: list[tuple[int, int, int, float, float]] = []  # city, district, postcode, wn, wl
    for ci, (_, _, _, _, districts) in enumerate(cities):
        for name, pcs, wn, wl in districts:
            di = len(district_names)
            district_names.append(name)
            for pc in pcs:
                if pc not in postcode_values:
                    postcode_values.append(pc)
                entries.append((ci, di, postcode_values.index(pc), wn / len(pcs), wl / len(pcs)))
    ent = np.array(entries, dtype=np.float64)
    district = np.full(n, -1, dtype=np.int64)
    postcode = np.full(n, -1, dtype=np.int64)
    for ci in range(len(cities)):
        for is_new, wcol in ((True, 3), (False, 4)):
            sel = np.flatnonzero((city == ci) & (newcomer == is_new))
            rows = ent[ent[:, 0] == ci]
            pick = rng.choice(len(rows), size=len(sel), p=rows[:, wcol] / rows[:, wcol].sum())
            district[sel] = rows[pick, 1].astype(np.int64)
            postcode[sel] = rows[pick, 2].astype(np.int64)
    district[rng.random(n) < 0.07] = -1
    postcode[rng.random(n) < 0.05] = -1

    # Birth years: newcomers younger; locals students, working age and retirees.
    age_new = 18 + rng.gamma(2.2, 6.5, n)
    mix = rng.random(n)
    age_loc = np.where(
        mix < 0.35,
        rng.uniform(19, 30, n),
        np.where(mix < 0.8, rng.uniform(30, 60, n), rng.uniform(60, 77, n)),
    )
    age = np.where(newcomer, np.minimum(age_new, 72), age_loc)
    birth_year = np.clip(_years(np.array([as_of_day]))[0] - np.rint(age), 1950, None)
    birth_year = np.minimum(birth_year, _years(np.array([as_of_day]))[0] - 18).astype(np.int64)
    birth_year[rng.random(n) < 0.04] = -1

    gender = np.where(
        newcomer,
        _choice_codes(rng, n, [0.44, 0.48, 0.01, 0.03, 0.04]),
        _choice_codes(rng, n, [0.58, 0.34, 0.02, 0.03, 0.03]),
    ).astype(np.int8)
    pref = _choice_codes(rng, n, [0.72, 0.15, 0.13])

    # Languages.
    reg_year = _years(reg_day)
    codes = list(NEWCOMER_NATIVE)
    native_p = np.array(list(NEWCOMER_NATIVE.values()))
    native = np.array([L[c] for c in codes])[
        rng.choice(len(codes), size=n, p=native_p / native_p.sum())
    ]
    lang = np.left_shift(np.uint64(1), native.astype(np.uint64))
    for first, seconds in NEWCOMER_SECOND.items():
        is_first = native == L[first]
        for code, p in seconds:
            lang[is_first & (rng.random(n) < p)] |= _bit(L[code])

    # Arrival year by origin: Syrian/Afghan wave 2015-16, Ukrainian 2022-.
    wave_15 = np.isin(native, [L[c] for c in ("ar", "fa", "ps", "ku", "ti", "so")])
    ukr = np.isin(native, [L["uk"], L["ru"]])
    years = np.arange(2014, 2027)
    p_15 = np.array([4, 16, 14, 8, 6, 5, 4, 4, 6, 8, 9, 9, 7], dtype=float)
    p_uk = np.array([1, 1, 1, 1, 1, 1, 1, 2, 45, 22, 12, 8, 4], dtype=float)
    p_other = np.array([3, 5, 5, 5, 5, 5, 4, 6, 9, 12, 14, 14, 10], dtype=float)
    arrival = np.where(
        wave_15,
        years[rng.choice(len(years), n, p=p_15 / p_15.sum())],
        np.where(
            ukr,
            years[rng.choice(len(years), n, p=p_uk / p_uk.sum())],
            years[rng.choice(len(years), n, p=p_other / p_other.sum())],
        ),
    )
    arrival = np.minimum(arrival, reg_year).astype(np.int64)
    years_here = np.where(rng.random(n) < 0.06, -1, reg_year - arrival)
    p_de = np.clip(np.where(years_here < 0, 0.3, 0.1 + 0.07 * years_here), 0, 0.85)
    lang[rng.random(n) < np.where(native == L["en"], 0.0, 0.4)] |= _bit(L["en"])
    lang[rng.random(n) < 0.06] |= _bit(L["fr"])
    lang[rng.random(n) < p_de] |= _bit(L["de"])
    learn = np.zeros(n, dtype=np.uint64)
    no_de = (lang & _bit(L["de"])) == 0
    learn[no_de & (rng.random(n) < 0.93)] |= _bit(L["de"])
    learn[((lang & _bit(L["en"])) == 0) & (rng.random(n) < 0.12)] |= _bit(L["en"])
    arrival = np.where(years_here < 0, -1, arrival)

    # Locals: German plus school languages and some heritage languages.
    lang_loc = np.full(n, _bit(L["de"]), dtype=np.uint64)
    for code, p in LOCAL_EXTRA.items():
        lang_loc[rng.random(n) < p] |= _bit(L[code])
    learn_loc = np.zeros(n, dtype=np.uint64)
    learners = rng.random(n) < 0.38
    lcodes = list(LOCAL_LEARNING)
    lp = np.array(list(LOCAL_LEARNING.values()))
    first_l = np.array([L[c] for c in lcodes])[rng.choice(len(lcodes), n, p=lp / lp.sum())]
    second_l = np.array([L[c] for c in lcodes])[rng.choice(len(lcodes), n, p=lp / lp.sum())]
    learn_loc[learners] |= np.left_shift(np.uint64(1), first_l[learners].astype(np.uint64))
    two = learners & (rng.random(n) < 0.25)
    learn_loc[two] |= np.left_shift(np.uint64(1), second_l[two].astype(np.uint64))
    learn_loc &= ~lang_loc

    lang = np.where(newcomer, lang, lang_loc)
    learn = np.where(newcomer, learn, learn_loc)
    arrival = np.where(newcomer, arrival, -1)

    # Interests: 2-5 slugs, tilted by group.
    pop = np.array([_INTEREST_POPULARITY.get(s, 0.6) for s in INTEREST_SLUGS])
    tilt_n = np.array([_INTEREST_TILT_NEWCOMER.get(s, 1.0) for s in INTEREST_SLUGS])
    tilt_l = np.array([_INTEREST_TILT_LOCAL.get(s, 1.0) for s in INTEREST_SLUGS])
    logw = np.log(np.vstack([pop * tilt_l, pop * tilt_n]))
    group_code = newcomer.astype(np.int64)
    k_int = 2 + _choice_codes(rng, n, [0.3, 0.33, 0.22, 0.15]).astype(np.int64)
    interest_mask = _sample_subsets(rng, logw, group_code, k_int)

    # Availability: 0-6 slots; evenings and weekend afternoons popular.
    slot_w = np.array(
        [
            {"morning": 0.5, "afternoon": 0.8, "evening": 1.4}[s.split("_")[1]]
            if s[:3] not in ("sat", "sun")
            else {"morning": 0.8, "afternoon": 1.4, "evening": 1.0}[s.split("_")[1]]
            for s in SLOTS
        ]
    )
    morning = np.array([s.endswith("morning") for s in SLOTS])
    evening = np.array([s.endswith("evening") for s in SLOTS])
    slot_new = slot_w * np.where(morning, 1.4, 1.0)
    slot_loc = slot_w * np.where(evening, 1.2, 1.0)
    k_av = _choice_codes(rng, n, [0.12, 0.08, 0.18, 0.22, 0.17, 0.12, 0.11]).astype(np.int64)
    avail = _sample_subsets(rng, np.log(np.vstack([slot_loc, slot_new])), group_code, k_av)

    consent = rng.random(n) < 0.85
    ids = _hex_ids("bt-", np.arange(n), 8, 0x9E3779B1, zlib.crc32(f"p{seed}".encode()))
    return People(
        n=n,
        ids=ids,
        reg=reg,
        reg_day=reg_day,
        city=city,
        city_names=tuple(c[0] for c in cities),
        city_slugs=tuple(c[1] for c in cities),
        city_space=city_space,
        newcomer=newcomer,
        district=district,
        district_names=district_names,
        postcode=postcode,
        postcode_values=postcode_values,
        birth_year=birth_year,
        gender=gender,
        lang=lang,
        learn=learn,
        interests=interest_mask,
        avail=avail,
        pref=pref,
        arrival=arrival,
        consent=consent,
        status=np.zeros(n, dtype=np.int8),
        leave_day=np.full(n, last, dtype=np.int64),
    )


def match_scores(people: People, n_idx: np.ndarray, l_idx: np.ndarray) -> np.ndarray:
    """MATCHING.md score with default weights for pairs (newcomer index, local index)."""
    ia, ib = people.interests[n_idx], people.interests[l_idx]
    s_int = _popcount(ia & ib) / np.maximum(_popcount(ia | ib), 1)
    a = (people.learn[n_idx] & people.lang[l_idx]) != 0
    b = (people.learn[l_idx] & people.lang[n_idx]) != 0
    s_lang = (a.astype(float) + b.astype(float)) / 2
    av_a, av_b = people.avail[n_idx], people.avail[l_idx]
    ca, cb = _popcount(av_a), _popcount(av_b)
    both = (ca > 0) & (cb > 0)
    s_av = np.where(both, _popcount(av_a & av_b) / np.maximum(np.minimum(ca, cb), 1), 0.5)
    # districts compare by name (the same name may exist in two cities)
    names = np.array([*people.district_names, ""])
    _, name_code = np.unique(names, return_inverse=True)
    da, db = name_code[people.district[n_idx]], name_code[people.district[l_idx]]
    s_dist = ((people.district[n_idx] >= 0) & (da == db)).astype(float)
    ya, yb = people.birth_year[n_idx], people.birth_year[l_idx]
    s_age = np.where((ya >= 0) & (yb >= 0), 1 - np.minimum(np.abs(ya - yb), 40) / 40, 0.5)
    return 0.40 * s_int + 0.25 * s_lang + 0.15 * s_av + 0.10 * s_dist + 0.10 * s_age


@dataclass
class Matches:
    """Matches, in creation order."""

    newcomer: np.ndarray  # participant index
    local: np.ndarray
    matched: np.ndarray  # epoch seconds
    matched_day: np.ndarray
    ended: np.ndarray  # epoch seconds, -1 = open
    ended_day: np.ndarray  # -1 = open
    reason: np.ndarray  # index into END_REASONS, -1 = null
    lasting: np.ndarray  # bool (latent)
    active_end: np.ndarray  # last day the pair may meet
    score: np.ndarray

    @property
    def m(self) -> int:
        return len(self.newcomer)


def _simulate_matches(people: People, seed: int, as_of_day: int) -> Matches:
    """Coordinators pair waiting newcomers and locals per city, first come first served.

    Rounds: everybody who is ready (registered and waited a little) is paired in order of
    readiness within their city; people whose tandem ended may come back for another round.
    """
    rng = _rng(seed, "matches")
    n = people.n
    last = as_of_day - 1
    big = np.iinfo(np.int64).max // 4
    seeks = rng.random(n) < 0.92
    wait = rng.exponential(np.where(people.newcomer, 14.0, 10.0)).astype(np.int64)
    ready = np.where(seeks, people.reg_day + 1 + wait, big)

    parts: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "newcomer", "local", "matched", "matched_day", "ended", "ended_day", "reason",
            "lasting", "active_end", "score",
        )
    }  # fmt: skip
    previous_pairs = np.zeros(0, dtype=np.int64)
    for _round in range(5):
        pool = np.flatnonzero(ready <= last)
        if len(pool) == 0:
            break
        df = (
            pl.DataFrame(
                {
                    "p": pool,
                    "city": people.city[pool],
                    "nc": people.newcomer[pool],
                    "ready": ready[pool],
                }
            )
            .sort(["city", "ready", "p"])
            .with_columns(rank=pl.int_range(pl.len()).over(["city", "nc"]))
        )
        pairs = (
            df.filter(pl.col("nc"))
            .join(df.filter(~pl.col("nc")), on=["city", "rank"], suffix="_l")
            .sort(["city", "rank"])
        )
        n_idx = pairs.get_column("p").to_numpy()
        l_idx = pairs.get_column("p_l").to_numpy()
        md = (
            np.maximum(pairs.get_column("ready").to_numpy(), pairs.get_column("ready_l").to_numpy())
            + rng.geometric(0.4, len(n_idx))
            - 1
        )
        key = n_idx * n + l_idx
        keep = (md <= last) & ~np.isin(key, previous_pairs)
        n_idx, l_idx, md, key = n_idx[keep], l_idx[keep], md[keep], key[keep]
        previous_pairs = np.concatenate([previous_pairs, key])
        k = len(n_idx)
        score = match_scores(people, n_idx, l_idx)
        lasting = rng.random(k) < _sigmoid(-0.15 + 8.0 * (score - 0.2))
        duration = np.where(
            lasting,
            np.maximum(45, rng.lognormal(np.log(260), 0.6, k)).astype(np.int64),
            rng.integers(10, 70, k),
        )
        latent_end = md + duration
        # Recorded end: lasting tandems end when they end; fizzled ones are closed by a
        # coordinator a few weeks later, or (35%) never.
        recorded = np.where(lasting, True, rng.random(k) < 0.65)
        end_day = np.where(
            lasting,
            latent_end + rng.integers(0, 14, k),
            latent_end + rng.integers(7, 40, k),
        )
        is_ended = recorded & (latent_end <= last) & (lasting | (end_day <= last))
        end_day = np.where(is_ended, np.minimum(end_day, last), -1)
        reason = np.where(
            lasting,
            _choice_codes(rng, k, [0.6, 0.0, 0.2, 0.0, 0.12, 0.08]),
            _choice_codes(rng, k, [0.0, 0.45, 0.1, 0.3, 0.1, 0.05]),
        ).astype(np.int64)
        reason = np.where(reason == len(END_REASONS), -1, reason)
        reason = np.where(is_ended, reason, -1)
        matched = md * DAY + _tod(rng, k)
        ended = np.where(is_ended, end_day * DAY + _tod(rng, k), -1)
        for name, values in (
            ("newcomer", n_idx),
            ("local", l_idx),
            ("matched", matched),
            ("matched_day", md),
            ("ended", ended),
            ("ended_day", end_day),
            ("reason", reason),
            ("lasting", lasting),
            ("active_end", np.minimum(latent_end, last)),
            ("score", score),
        ):
            parts[name].append(values)

        # Who is ready for the next round: the unpaired keep waiting; people whose tandem was
        # closed may come back after a break.
        ready[n_idx] = big
        ready[l_idx] = big
        back = is_ended & (rng.random(k) < 0.55)
        again = end_day + 1 + rng.exponential(20.0, k).astype(np.int64)
        ready[n_idx[back]] = again[back]
        back_l = is_ended & (rng.random(k) < 0.55)
        ready[l_idx[back_l]] = again[back_l] + rng.integers(0, 10, int(back_l.sum()))

    cat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    return Matches(
        newcomer=cat["newcomer"].astype(np.int64),
        local=cat["local"].astype(np.int64),
        matched=cat["matched"].astype(np.int64),
        matched_day=cat["matched_day"].astype(np.int64),
        ended=cat["ended"].astype(np.int64),
        ended_day=cat["ended_day"].astype(np.int64),
        reason=cat["reason"].astype(np.int64),
        lasting=cat["lasting"].astype(bool),
        active_end=cat["active_end"].astype(np.int64),
        score=cat["score"].astype(np.float64),
    )


def _assign_status(people: People, matches: Matches, seed: int, as_of_day: int) -> None:
    """Status and last active day from the match history."""
    rng = _rng(seed, "status")
    n = people.n
    last = as_of_day - 1
    open_m = matches.ended < 0
    has_open = np.zeros(n, dtype=bool)
    has_open[matches.newcomer[open_m]] = True
    has_open[matches.local[open_m]] = True
    last_end = people.reg_day.copy()
    ended_m = ~open_m
    np.maximum.at(last_end, matches.newcomer[ended_m], matches.ended_day[ended_m])
    np.maximum.at(last_end, matches.local[ended_m], matches.ended_day[ended_m])
    had_ended = last_end > people.reg_day
    tenure = last - people.reg_day
    u = rng.random(n)
    p_left = 0.08 + 0.12 * (tenure > 365) + 0.10 * had_ended
    status = np.where(
        has_open,
        np.where(u < 0.04, 2, 1),
        np.where(u < p_left, 3, np.where(u < p_left + 0.07, 2, 0)),
    ).astype(np.int8)
    status[(status == 0) & (rng.random(n) < 0.03)] = 4  # null: means waiting
    leave = last_end + (rng.random(n) * (last - last_end + 1)).astype(np.int64)
    people.status = status
    people.leave_day = np.where(status == 3, np.minimum(leave, last), last)


@dataclass
class Feedback:
    """Feedback rows, sorted by submission time."""

    participant: np.ndarray
    kind: np.ndarray  # 0 tandem_meeting, 1 group_event
    match: np.ndarray  # -1 = null
    event: np.ndarray  # -1 = null
    day: np.ndarray
    attended: np.ndarray
    rating: np.ndarray  # 0 = null
    again: np.ndarray  # -1 null, 0 false, 1 true
    contacts: np.ndarray  # -1 = null
    comment: np.ndarray  # -1 = null
    submitted: np.ndarray  # epoch seconds
    style: np.ndarray  # timestamp style


@dataclass
class Events:
    """Group events: one per city and event day."""

    city: np.ndarray
    day: np.ndarray
    ids: pl.Series


def _make_events(people: People, seed: int, as_of_day: int) -> Events:
    """The group event calendar: more events in bigger cities, weekends preferred."""
    rng = _rng(seed, "events")
    start = as_of_day - HISTORY_DAYS
    days = np.arange(start, as_of_day, dtype=np.int64)
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday
    w = EVENT_WEEKDAY_WEIGHT / EVENT_WEEKDAY_WEIGHT.mean()
    n_cities = len(people.city_names)
    counts = np.bincount(people.city, minlength=n_cities)
    cities, evdays = [], []
    for ci in range(n_cities):
        per_week = float(np.clip(counts[ci] / 400.0, 0.25, 7.0))
        p = np.clip(per_week / 7.0 * w[dow], 0, 1)
        chosen = days[rng.random(len(days)) < p]
        cities.append(np.full(len(chosen), ci, dtype=np.int64))
        evdays.append(chosen)
    city = np.concatenate(cities)
    day = np.concatenate(evdays)
    df = pl.DataFrame({"c": city, "d": day.astype("datetime64[D]")}).with_columns(
        slug=pl.lit(pl.Series(list(people.city_slugs))).gather(pl.col("c"))
    )
    ids = df.select(pl.format("ev-{}-{}", "slug", pl.col("d").dt.strftime("%Y-%m-%d"))).to_series()
    return Events(city=city, day=day, ids=ids)


def _make_feedback(
    people: People, matches: Matches, events: Events, seed: int, as_of_day: int
) -> Feedback:
    """Tandem meetings of every match and group event visits of every participant.

    Arrays use compact dtypes: at a million participants there are about 20 million rows.
    """
    rng = _rng(seed, "feedback")
    last = as_of_day - 1
    m = matches.m

    # --- tandem meetings ---------------------------------------------------------------------
    lasting = matches.lasting
    first = matches.matched_day + np.where(
        lasting, rng.geometric(1 / 6, m), rng.geometric(1 / 9, m)
    )  # at least one day after the match
    span = matches.active_end - first + 1
    # A tenth of the lasting tandems meet only about monthly.
    gap_mean = np.where(lasting, np.where(rng.random(m) < 0.1, 26.0, 8.0), 13.0)
    n_meet = np.where(
        lasting,
        np.where(span > 0, np.ceil(np.maximum(span, 0) / gap_mean * 1.5).astype(np.int64) + 3, 0),
        _choice_codes(rng, m, [0.2, 0.3, 0.22, 0.15, 0.08, 0.05]).astype(np.int64),
    )
    mid = np.repeat(np.arange(m, dtype=np.int32), n_meet)
    gaps = 1 + np.rint(rng.gamma(2.0, ((gap_mean - 1) / 2.0)[mid])).astype(np.int32)
    mday = (first[mid] + _segment_exclusive_cumsum(gaps, n_meet)).astype(np.int32)
    del gaps
    ok = mday <= matches.active_end[mid]
    mid, mday = mid[ok], mday[ok]
    del ok
    n_meetings = len(mid)
    happened = rng.random(n_meetings) < 0.96
    reporter = _choice_codes(rng, n_meetings, [0.82, 0.08, 0.10])  # both, newcomer, local
    per = np.where(reporter == 0, 2, 1)
    row_meet = np.repeat(np.arange(n_meetings, dtype=np.int32), per)
    within = _segment_offsets(per)
    rep_r = reporter[row_meet]
    local_row = np.where(rep_r == 0, within == 1, rep_r == 2)
    del within, rep_r, reporter, per
    t_mid = mid[row_meet]
    t_part = np.where(local_row, matches.local[t_mid], matches.newcomer[t_mid]).astype(np.int32)
    t_day = mday[row_meet]
    t_att = happened[row_meet]
    del row_meet, local_row, mid, mday, happened
    nt = len(t_part)
    t_last = lasting[t_mid]
    u = rng.random(nt)
    t_rating = np.where(
        t_last,
        _codes_from_uniform(u, [0.02, 0.03, 0.10, 0.30, 0.55]),
        _codes_from_uniform(u, [0.08, 0.14, 0.28, 0.30, 0.20]),
    ) + np.int8(1)
    t_rating[(rng.random(nt) < 0.12) | ~t_att] = 0
    t_again = (rng.random(nt) < np.where(t_last, 0.94, 0.5)).astype(np.int8)
    t_again[(rng.random(nt) < 0.10) | ~t_att] = -1
    del t_last, u

    # --- group events ------------------------------------------------------------------------
    # Visits spread over the participant's active window (one per stratum of the window),
    # each moved to the city's next event; two visits of one event count once.
    n = people.n
    w_start = people.reg_day + 1
    w_stop = people.leave_day
    w_len = np.maximum(w_stop - w_start + 1, 0)
    engagement = rng.gamma(0.9, 1.1 / 0.9, n)
    visits = np.minimum(rng.poisson(engagement * w_len / 30.0), 80)
    g_part = np.repeat(np.arange(n, dtype=np.int32), visits)
    stratum = _segment_offsets(visits)
    frac = (stratum + rng.random(len(g_part))) / visits[g_part]
    g_draw = w_start[g_part] + (frac * w_len[g_part]).astype(np.int64)
    del stratum, frac
    city_of = people.city[g_part]
    ev_key = events.city * 1_000_000 + events.day  # events are sorted by (city, day)
    if len(ev_key) == 0:
        ev_key = np.array([-1], dtype=np.int64)
    pos = np.searchsorted(ev_key, city_of * 1_000_000 + g_draw)
    pos_c = np.minimum(pos, len(ev_key) - 1)
    ok = (pos < len(ev_key)) & (events.city[pos_c] == city_of)
    ok &= events.day[pos_c] <= w_stop[g_part]
    # positions never decrease within a participant: a repeat is the same as the row before
    ok[1:] &= (pos_c[1:] != pos_c[:-1]) | (g_part[1:] != g_part[:-1])
    g_part, g_event = g_part[ok], pos_c[ok].astype(np.int32)
    del pos, pos_c, ok, city_of, g_draw
    ng = len(g_part)
    g_day = events.day[g_event].astype(np.int32)
    g_att = rng.random(ng) < 0.92
    g_rating = _choice_codes(rng, ng, [0.02, 0.04, 0.14, 0.35, 0.45]) + np.int8(1)
    g_rating[(rng.random(ng) < 0.45) | ~g_att] = 0
    g_contacts = np.minimum(rng.poisson(2.2, ng), 10).astype(np.int8)
    g_contacts[(rng.random(ng) < 0.12) | ~g_att] = -1

    # --- together, ordered by submission day -------------------------------------------------
    total = nt + ng
    day = np.concatenate([t_day, g_day])
    del t_day, g_day
    delay = _choice_codes(rng, total, [0.55, 0.25, 0.08, 0.05, 0.03, 0.02, 0.01, 0.01])
    sub_day = np.minimum(day + delay, last)
    del delay
    same_day = sub_day == day
    sub_tod = np.where(
        same_day, _tod(rng, total, 18 * 3600, TOD_MAX), _tod(rng, total, 6 * 3600, TOD_MAX)
    )
    del same_day
    submitted = sub_day.astype(np.int64) * DAY + sub_tod
    del sub_tod
    comment = np.where(
        rng.random(total) < 0.025, rng.integers(0, len(FEEDBACK_COMMENTS), total), -1
    ).astype(np.int8)
    style = _choice_codes(rng, total, [0.4, 0.4, 0.2])
    # stable radix sort on a 16-bit day number; within a day rows keep their generated order
    order = np.argsort((sub_day - (as_of_day - HISTORY_DAYS)).astype(np.int16), kind="stable")
    del sub_day

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])[order]

    return Feedback(
        participant=cat(t_part, g_part),
        kind=cat(np.zeros(nt, np.int8), np.ones(ng, np.int8)),
        match=cat(t_mid, np.full(ng, -1, np.int32)),
        event=cat(np.full(nt, -1, np.int32), g_event),
        day=day[order],
        attended=cat(t_att, g_att),
        rating=cat(t_rating.astype(np.int8), g_rating.astype(np.int8)),
        again=cat(t_again, np.full(ng, -1, np.int8)),
        contacts=cat(np.full(nt, -1, np.int8), g_contacts),
        comment=comment[order],
        submitted=submitted[order],
        style=style[order],
    )


@dataclass
class Surveys:
    """Survey answers (one row per participant and wave), sorted by answer time."""

    participant: np.ndarray
    wave: np.ndarray  # 0 baseline 1 followup_3m 2 followup_12m
    answered: np.ndarray
    items: dict[str, np.ndarray]  # -1 = null
    style: np.ndarray


def _make_surveys(people: People, matches: Matches, seed: int, as_of_day: int) -> Surveys:
    """Baseline near registration, follow-ups after 3 and 12 months; a lasting tandem helps."""
    rng = _rng(seed, "surveys")
    n = people.n
    last = as_of_day - 1
    # First day each participant had a lasting tandem.
    big = np.iinfo(np.int64).max // 4
    first_lasting = np.full(n, big, dtype=np.int64)
    lm = matches.lasting
    np.minimum.at(first_lasting, matches.newcomer[lm], matches.matched_day[lm])
    np.minimum.at(first_lasting, matches.local[lm], matches.matched_day[lm])
    engaged = first_lasting < big

    base_p = np.where(people.consent, 0.85, 0.25)
    has_base = rng.random(n) < base_p
    base_day = np.minimum(people.reg_day + rng.geometric(0.35, n) - 1, last)
    d3 = people.reg_day + 90 + rng.geometric(1 / 12, n) - 1
    d12 = people.reg_day + 365 + rng.geometric(1 / 15, n) - 1
    p3 = np.where(has_base, 0.58, 0.08) + 0.12 * engaged
    p12 = np.where(has_base, 0.45, 0.05) + 0.12 * engaged
    has3 = (d3 <= last) & (rng.random(n) < p3)
    has12 = (d12 <= last) & (rng.random(n) < p12)

    nc = people.newcomer
    # Latent baseline per person and item.
    latent = {
        "belonging": np.where(nc, 2.6, 3.6) + rng.normal(0, 0.9, n),
        "trust_people": np.where(nc, 2.9, 3.2) + rng.normal(0, 0.8, n),
        "outgroup_contact": np.where(nc, 1.3, 0.9) + rng.normal(0, 0.8, n),
        "outgroup_attitude": np.where(nc, 66.0, 60.0) + rng.normal(0, 18, n),
        "lonely_1": np.where(nc, 2.1, 1.7) + rng.normal(0, 0.6, n),
        "lonely_2": np.where(nc, 2.0, 1.6) + rng.normal(0, 0.6, n),
        "lonely_3": np.where(nc, 2.1, 1.6) + rng.normal(0, 0.6, n),
        "diversity_acceptance": np.where(nc, 4.1, 3.6) + rng.normal(0, 0.8, n),
    }
    # Change per follow-up: (drift, effect of a lasting tandem, noise sd) for 3 and 12 months.
    change = {
        "belonging": ((0.05, 0.45, 0.6), (0.1, 0.7, 0.7)),
        "trust_people": ((0.0, 0.25, 0.5), (0.05, 0.4, 0.6)),
        "outgroup_contact": ((0.1, 1.0, 0.6), (0.1, 1.2, 0.7)),
        "outgroup_attitude": ((1.0, 6.0, 8.0), (1.5, 9.0, 10.0)),
        "lonely_1": ((0.0, -0.3, 0.4), (-0.05, -0.4, 0.45)),
        "lonely_2": ((0.0, -0.25, 0.4), (-0.05, -0.35, 0.45)),
        "lonely_3": ((0.0, -0.3, 0.4), (-0.05, -0.4, 0.45)),
        "diversity_acceptance": ((0.0, 0.2, 0.4), (0.05, 0.3, 0.5)),
    }
    ranges = {
        "belonging": (1, 5), "trust_people": (1, 5), "outgroup_contact": (0, 4),
        "outgroup_attitude": (0, 100), "lonely_1": (1, 3), "lonely_2": (1, 3),
        "lonely_3": (1, 3), "diversity_acceptance": (1, 5),
    }  # fmt: skip

    waves = [
        (0, has_base, base_day),
        (1, has3, d3),
        (2, has12, d12),
    ]
    parts_p, parts_w, parts_a, parts_items = [], [], [], {k: [] for k in latent}
    for wave, has, days in waves:
        idx = np.flatnonzero(has)
        k = len(idx)
        answered = days[idx] * DAY + _tod(rng, k)
        if wave == 0:
            answered = np.maximum(answered, people.reg[idx] + 600)
        treated = first_lasting[idx] + 30 <= days[idx]
        lonely_null = rng.random(k) < 0.04
        for item, base in latent.items():
            value = base[idx].copy()
            if wave > 0:
                drift, effect, sd = change[item][wave - 1]
                value += drift + effect * treated + rng.normal(0, sd, k)
            lo, hi = ranges[item]
            v = np.clip(np.rint(value), lo, hi).astype(np.int64)
            null = rng.random(k) < 0.03
            if item.startswith("lonely"):
                null |= lonely_null
            v[null] = -1
            parts_items[item].append(v)
        parts_p.append(idx)
        parts_w.append(np.full(k, wave, dtype=np.int8))
        parts_a.append(answered)
    participant = np.concatenate(parts_p)
    answered = np.concatenate(parts_a)
    order = np.argsort(answered, kind="stable")
    return Surveys(
        participant=participant[order],
        wave=np.concatenate(parts_w)[order],
        answered=answered[order],
        items={k: np.concatenate(v)[order] for k, v in parts_items.items()},
        style=_choice_codes(rng, len(participant), [0.45, 0.35, 0.2])[order],
    )


def _make_erasures(
    people: People, matches: Matches, seed: int, as_of_day: int
) -> tuple[np.ndarray, np.ndarray]:
    """About 0.1% of participants (at least 2) ask to be erased; one has a tandem."""
    rng = _rng(seed, "erasures")
    n = people.n
    last = as_of_day - 1
    k = min(n, max(2, round(n * 0.001)))
    chosen = rng.choice(n, size=k, replace=False)
    if matches.m and not np.isin(chosen, matches.newcomer).any():
        chosen[0] = matches.newcomer[rng.integers(0, matches.m)]
        chosen = np.unique(chosen)
    chosen = np.sort(chosen)
    lo = np.minimum(people.reg_day[chosen] + 14, last)
    day = lo + (rng.random(len(chosen)) * (last - lo + 1)).astype(np.int64)
    requested = day * DAY + _tod(rng, len(chosen))
    requested = np.maximum(requested, people.reg[chosen] + 3600)
    order = np.argsort(requested, kind="stable")
    return chosen[order], requested[order]


# ---------------------------------------------------------------------------------------------
# Tables and writers.
# ---------------------------------------------------------------------------------------------

#: Hidden columns that steer the text rendering of a row; never written.
STYLE = "_style"  # timestamp style: 0 offset, 1 Z (UTC), 2 naive Berlin wall time
CONSENT_STYLE = "_consent_style"  # 0 true/false, 1 1/0, 2 yes/no
TS_COLUMNS: dict[str, tuple[str, ...]] = {
    "registrations": ("registered_at",),
    "matches": ("matched_at", "ended_at"),
    "feedback": ("submitted_at",),
    "surveys": ("answered_at",),
    "erasures": ("requested_at",),
}
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "registrations": ("languages", "learning_languages", "interests", "availability"),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "registrations": REGISTRATIONS.columns,
    "matches": MATCHES.columns,
    "feedback": FEEDBACK.columns,
    "surveys": SURVEYS.columns,
    "erasures": ERASURES.columns,
}


def _epoch_col(name: str, secs: np.ndarray) -> pl.Series:
    """Epoch seconds (-1 = null) as a UTC datetime column."""
    micros = pl.Series(name, np.where(secs >= 0, secs, 0) * 1_000_000, dtype=pl.Int64)
    ts = micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if (secs < 0).any():
        ts = pl.select(pl.when(pl.Series(secs >= 0)).then(ts).otherwise(None).alias(name))
        ts = ts.to_series()
    return ts


def _int_col(name: str, values: np.ndarray, null: int, dtype: type[pl.DataType]) -> pl.Series:
    """Integers with a sentinel for null."""
    s = pl.Series(name, values)
    return pl.select(pl.when(s != null).then(s).otherwise(None).cast(dtype).alias(name)).to_series()


def _codes_col(name: str, codes: np.ndarray, vocab: Sequence[str | None]) -> pl.Series:
    """Code array as strings of a vocabulary (a None entry is null)."""
    vocab_s = pl.Series(name, list(vocab), dtype=pl.String)
    return vocab_s.gather(pl.Series(codes.astype(np.int64)))


def _registrations_table(p: People, seed: int) -> pl.DataFrame:
    rng = _rng(seed, "registrations-render")
    city = _codes_col("city", p.city, p.city_names)
    city = pl.select(
        pl.when(pl.Series(p.city_space)).then(city + " ").otherwise(city).alias("city")
    ).to_series()
    district = _codes_col(
        "district",
        np.where(p.district < 0, len(p.district_names), p.district),
        [*p.district_names, None],
    )
    postcode = _codes_col(
        "postcode",
        np.where(p.postcode < 0, len(p.postcode_values), p.postcode),
        [*p.postcode_values, None],
    )
    df = pl.DataFrame(
        [
            p.ids.alias("participant_id"),
            _epoch_col("registered_at", p.reg),
            _codes_col("group", p.newcomer.astype(np.int64), ["local", "newcomer"]),
            city,
            district,
            postcode,
            _int_col("birth_year", p.birth_year, -1, pl.Int32),
            _codes_col("gender", p.gender, ["female", "male", "diverse", "unspecified", None]),
            _mask_strings(p.lang, LANGS).alias("languages"),
            _mask_strings(p.learn, LANGS).alias("learning_languages"),
            _mask_strings(p.interests, INTEREST_SLUGS).alias("interests"),
            _mask_strings(p.avail, SLOTS).alias("availability"),
            _codes_col("gender_preference", p.pref, ["any", "same", None]),
            _int_col("arrival_year", p.arrival, -1, pl.Int32),
            pl.Series("consent_research", p.consent),
            _codes_col("status", p.status, ["waiting", "matched", "paused", "left", None]),
            pl.Series(STYLE, _choice_codes(rng, p.n, [0.5, 0.2, 0.3])),
            pl.Series(CONSENT_STYLE, _choice_codes(rng, p.n, [0.9, 0.05, 0.05])),
        ]
    )
    return df


def _matches_table(p: People, mt: Matches, seed: int) -> pl.DataFrame:
    rng = _rng(seed, "matches-render")
    ids = _hex_ids("tm-", np.arange(mt.m), 8, 0x85EBCA6B, zlib.crc32(f"m{seed}".encode()))
    return pl.DataFrame(
        [
            ids.alias("match_id"),
            p.ids.gather(pl.Series(mt.newcomer)).alias("newcomer_id"),
            p.ids.gather(pl.Series(mt.local)).alias("local_id"),
            _epoch_col("matched_at", mt.matched),
            _epoch_col("ended_at", mt.ended),
            _codes_col(
                "end_reason",
                np.where(mt.reason < 0, len(END_REASONS), mt.reason),
                [*END_REASONS, None],
            ),
            pl.Series(STYLE, _choice_codes(rng, mt.m, [0.6, 0.3, 0.1])),
        ]
    )


def _feedback_table(
    p: People, match_ids: pl.Series, events: Events, fb: Feedback, rows: np.ndarray, seed: int
) -> pl.DataFrame:
    """The feedback rows at positions ``rows`` (positions are also the id sequence)."""
    ids = _hex_ids("fb-", rows, 10, 0x9E3779B97F, zlib.crc32(f"f{seed}".encode()))
    match = fb.match[rows]
    event = fb.event[rows]
    comments = pl.Series([*FEEDBACK_COMMENTS, None], dtype=pl.String)
    comment = fb.comment[rows]
    match_col = pl.select(
        pl.when(pl.Series(match) >= 0)
        .then(match_ids.gather(pl.Series(np.maximum(match, 0))))
        .otherwise(None)
        .alias("match_id")
    ).to_series()
    event_col = pl.select(
        pl.when(pl.Series(event) >= 0)
        .then(events.ids.gather(pl.Series(np.maximum(event, 0))))
        .otherwise(None)
        .alias("event_id")
    ).to_series()
    again = fb.again[rows]
    return pl.DataFrame(
        [
            ids.alias("feedback_id"),
            p.ids.gather(pl.Series(fb.participant[rows])).alias("participant_id"),
            _codes_col("event_kind", fb.kind[rows], ["tandem_meeting", "group_event"]),
            match_col,
            event_col,
            pl.Series("event_date", fb.day[rows].astype("datetime64[D]")).cast(pl.Date),
            pl.Series("attended", fb.attended[rows]),
            _int_col("rating", fb.rating[rows], 0, pl.Int8),
            pl.select(
                pl.when(pl.Series(again) >= 0)
                .then(pl.Series(again) == 1)
                .otherwise(None)
                .alias("would_meet_again")
            ).to_series(),
            _int_col("new_contacts_other_group", fb.contacts[rows], -1, pl.Int8),
            comments.gather(
                pl.Series(np.where(comment < 0, len(FEEDBACK_COMMENTS), comment))
            ).alias("comment"),
            _epoch_col("submitted_at", fb.submitted[rows]),
            pl.Series(STYLE, fb.style[rows]),
        ]
    )


def _surveys_table(p: People, sv: Surveys, rows: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        [
            p.ids.gather(pl.Series(sv.participant[rows])).alias("participant_id"),
            _codes_col("wave", sv.wave[rows], ["baseline", "followup_3m", "followup_12m"]),
            _epoch_col("answered_at", sv.answered[rows]),
            *[_int_col(k, v[rows], -1, pl.Int16) for k, v in sv.items.items()],
            pl.Series(STYLE, sv.style[rows]),
        ]
    )


def _ts_text(col: str) -> pl.Expr:
    """A UTC datetime column as ISO text in the row's style (offset, Z or naive Berlin)."""
    utc = pl.col(col).dt.replace_time_zone(None)
    local = pl.col(col).dt.convert_time_zone("Europe/Berlin").dt.replace_time_zone(None)
    style = pl.col(STYLE)
    text = pl.when(style == 1).then(utc).otherwise(local).dt.strftime("%Y-%m-%dT%H:%M:%S")
    suffix = (
        pl.when(style == 1)
        .then(pl.lit("Z"))
        .when(style == 2)
        .then(pl.lit(""))
        .when((local - utc).dt.total_hours() == 2)
        .then(pl.lit("+02:00"))
        .otherwise(pl.lit("+01:00"))
    )
    return (text + suffix).alias(col)


def _write_table(
    df: pl.DataFrame,
    feed: str,
    path: Path,
    fmt: str,
    *,
    bom: bool = False,
    naive_parquet: bool = False,
) -> int:
    """Write one feed file in ``fmt``; returns the number of rows written."""
    ts_cols = [c for c in TS_COLUMNS[feed] if c in df.columns]
    list_cols = [c for c in LIST_COLUMNS.get(feed, ()) if c in df.columns]
    hidden = [c for c in (STYLE, CONSENT_STYLE) if c in df.columns]
    if fmt == "csv":
        exprs = [_ts_text(c) for c in ts_cols]
        if CONSENT_STYLE in df.columns:
            cs, val = pl.col(CONSENT_STYLE), pl.col("consent_research")
            exprs.append(
                pl.when(cs == 1)
                .then(pl.when(val).then(pl.lit("1")).otherwise(pl.lit("0")))
                .when(cs == 2)
                .then(pl.when(val).then(pl.lit("yes")).otherwise(pl.lit("no")))
                .otherwise(pl.when(val).then(pl.lit("true")).otherwise(pl.lit("false")))
                .alias("consent_research")
            )
        out = df.with_columns(exprs).drop(hidden)
        out.write_csv(path, include_bom=bom, line_terminator="\n")
    elif fmt == "parquet":
        exprs = [pl.col(c).str.split(";") for c in list_cols]
        if naive_parquet:
            exprs += [
                pl.col(c).dt.convert_time_zone("Europe/Berlin").dt.replace_time_zone(None)
                for c in ts_cols
            ]
        out = df.with_columns(exprs).drop(hidden)
        out.write_parquet(path, compression="zstd", statistics=True, row_group_size=250_000)
    elif fmt == "jsonl":
        exprs = [_ts_text(c) for c in ts_cols]
        exprs += [pl.col(c).str.split(";") for c in list_cols]
        if "event_date" in df.columns:
            exprs.append(pl.col("event_date").dt.strftime("%Y-%m-%d"))
        out = df.with_columns(exprs).drop(hidden)
        out.write_ndjson(path)
    else:  # pragma: no cover - guarded by the caller
        raise ValueError(f"unknown format {fmt!r}")
    return df.height


def _pick_format(preferred: Sequence[str], allowed: Sequence[str]) -> str:
    """The first preferred format that is allowed, else the first allowed one."""
    for fmt in preferred:
        if fmt in allowed:
            return fmt
    return allowed[0]


# ---------------------------------------------------------------------------------------------
# Bad rows: each breaks exactly one rule of the contract.
# ---------------------------------------------------------------------------------------------


def _iso_local(secs: int) -> str:
    """Epoch seconds as Berlin time with offset (one valid rendering for bad-row templates)."""
    df = pl.DataFrame({"t": _epoch_col("t", np.array([secs])), STYLE: [0]})
    return df.select(_ts_text("t")).item()


def _bad_rows(
    p: People,
    mt: Matches,
    fb_match_ids: pl.Series,
    events: Events,
    sv: Surveys,
    erased: np.ndarray,
    as_of_day: int,
) -> dict[str, list[dict[str, Any]]]:
    """Rows for every feed, each violating exactly one rule (values as raw text or JSON).

    Templates use people who are not erased, so erasure does not remove the bad rows.
    """
    last = as_of_day - 1
    keep = np.ones(p.n, dtype=bool)
    keep[erased] = False
    as_of_year = int(_years(np.array([as_of_day]))[0])
    ids = p.ids
    # Registrations: a valid template.
    reg_t = {
        "participant_id": "bt-bad-000",
        "registered_at": _iso_local((last - 100) * DAY + 10 * 3600),
        "group": "newcomer",
        "city": "Leipzig",
        "district": "Connewitz",
        "postcode": "04277",
        "birth_year": "1990",
        "gender": "female",
        "languages": "ar;en",
        "learning_languages": "de",
        "interests": "cooking;football",
        "availability": "mon_evening;sat_afternoon",
        "gender_preference": "any",
        "arrival_year": "2016",
        "consent_research": "true",
        "status": "waiting",
    }
    reg_bad = [
        {"participant_id": "bt bad 001"},
        {"participant_id": "b" * 65},
        {"participant_id": ""},
        {"registered_at": _iso_local((as_of_day + 10) * DAY + 10 * 3600)},
        {"registered_at": "letzte Woche"},
        {"group": "tourist"},
        {"city": ""},
        {"city": "   "},
        {"postcode": "123"},
        {"postcode": "0427A"},
        {"birth_year": "1900"},
        {"birth_year": str(as_of_year - 5)},
        {"birth_year": "1987.5"},
        {"birth_year": "19x0"},
        {"gender": "robot"},
        {"languages": "xx"},
        {"languages": ""},
        {"learning_languages": "de;german"},
        {"interests": "underwater_basketweaving"},
        {"interests": ""},
        {"availability": "mon_night"},
        {"gender_preference": "opposite"},
        {"arrival_year": "2016.5"},
        {"consent_research": "maybe"},
        {"consent_research": ""},
        {"group": "newcomеr"},  # Cyrillic "е": a look-alike, not the enum value
        {"status": "sleeping"},
    ]
    registrations = [
        {**reg_t, "participant_id": f"bt-bad-{i:03d}", **over} for i, over in enumerate(reg_bad, 1)
    ]

    # Matches: a valid template with a real newcomer and local of one city.
    newcomers = np.flatnonzero(p.newcomer & keep)
    locals_ = np.flatnonzero(~p.newcomer & keep)
    nb, nb2 = int(newcomers[0]), int(newcomers[1])
    same_city_locals = locals_[p.city[locals_] == p.city[nb]]
    lb = int(same_city_locals[0]) if len(same_city_locals) else int(locals_[0])
    lb2 = int(locals_[0]) if int(locals_[0]) != lb else int(locals_[1])
    later = max(int(p.reg[i]) for i in (nb, nb2, lb, lb2))
    later_day = later // DAY
    m_day = min(later_day + 3, last)
    match_t = {
        "match_id": "tm-bad-00",
        "newcomer_id": ids[nb],
        "local_id": ids[lb],
        "matched_at": _iso_local(m_day * DAY + 12 * 3600),
        "ended_at": _iso_local(min(m_day + 20, last) * DAY + 13 * 3600),
        "end_reason": "completed",
    }
    match_bad = [
        {"newcomer_id": "bt-ghost-001"},
        {"local_id": "bt-ghost-002"},
        {"newcomer_id": ids[lb2]},  # two locals
        {"local_id": ids[nb2]},  # two newcomers
        {"matched_at": _iso_local(int(p.reg[lb]) - 5 * DAY)},
        {"matched_at": _iso_local((as_of_day + 3) * DAY + 12 * 3600), "ended_at": ""},
        {"ended_at": _iso_local((m_day - 2) * DAY + 12 * 3600)},
        {"end_reason": "bored"},
        {"match_id": ""},
        {"matched_at": "2026-13-01T10:00:00"},
    ]
    matches = [
        {**match_t, "match_id": f"tm-bad-{i:02d}", **over} for i, over in enumerate(match_bad, 1)
    ]

    # Feedback: a valid tandem meeting of a real match and a valid group event visit.
    usable = np.flatnonzero(keep[mt.newcomer] & keep[mt.local])
    if len(usable) == 0:  # pragma: no cover - only for tiny samples
        raise ValueError("bad rows need at least one match; generate more participants")
    j = int(usable[np.argmin(mt.matched_day[usable])])
    fm_new, fm_loc = int(mt.newcomer[j]), int(mt.local[j])
    fm_day = int(mt.matched_day[j])
    meet_day = min(fm_day + 5, last)
    other = int(np.flatnonzero(keep & (np.arange(p.n) != fm_new) & (np.arange(p.n) != fm_loc))[0])
    ev = int(np.argmax(events.day <= last))
    ev_day = int(events.day[ev])
    ev_person = int(np.flatnonzero(keep & (p.city == events.city[ev]))[0])
    tm_t = {
        "feedback_id": "fb-bad-00",
        "participant_id": ids[fm_new],
        "event_kind": "tandem_meeting",
        "match_id": fb_match_ids[j],
        "event_id": "",
        "event_date": _date(meet_day).isoformat(),
        "attended": "true",
        "rating": "5",
        "would_meet_again": "true",
        "new_contacts_other_group": "",
        "comment": "",
        "submitted_at": _iso_local(meet_day * DAY + 19 * 3600),
    }
    ge_t = {
        **tm_t,
        "participant_id": ids[ev_person],
        "event_kind": "group_event",
        "match_id": "",
        "event_id": events.ids[ev],
        "event_date": _date(ev_day).isoformat(),
        "would_meet_again": "",
        "new_contacts_other_group": "3",
        "submitted_at": _iso_local(ev_day * DAY + 19 * 3600),
    }
    fb_bad = [
        (tm_t, {"match_id": ""}),
        (ge_t, {"match_id": fb_match_ids[j]}),
        (ge_t, {"event_id": ""}),
        (tm_t, {"participant_id": ids[other]}),
        (ge_t, {"participant_id": "bt-ghost-003"}),
        (tm_t, {"match_id": "tm-ghost-01"}),
        (tm_t, {"rating": "6"}),
        (tm_t, {"rating": "0"}),
        (tm_t, {"rating": "4.5"}),
        (ge_t, {"new_contacts_other_group": "51"}),
        (ge_t, {"new_contacts_other_group": "-1"}),
        (tm_t, {"comment": "x" * 2001}),
        (tm_t, {"event_date": _date(as_of_day + 2).isoformat()}),
        (tm_t, {"event_date": _date(fm_day - 1).isoformat()}),
        (tm_t, {"event_date": "31.02.2026"}),
        (tm_t, {"event_kind": "party"}),
        (tm_t, {"attended": "perhaps"}),
        (tm_t, {"attended": ""}),
        (tm_t, {"would_meet_again": "vielleicht"}),
        (tm_t, {"submitted_at": ""}),
        (tm_t, {"feedback_id": ""}),
    ]
    feedback = [
        {**t, "feedback_id": f"fb-bad-{i:02d}", **over} for i, (t, over) in enumerate(fb_bad, 1)
    ]

    # Surveys (JSON values): a participant without a survey, else the first one.
    surveyed = np.zeros(p.n, dtype=bool)
    surveyed[sv.participant] = True
    free = np.flatnonzero(~surveyed & keep)
    sp = int(free[0]) if len(free) else 0
    sv_day = min(int(p.reg_day[sp]) + 2, last)
    sv_t: dict[str, Any] = {
        "participant_id": ids[sp],
        "wave": "baseline",
        "answered_at": _iso_local(sv_day * DAY + 15 * 3600),
        "belonging": 3,
        "trust_people": 3,
        "outgroup_contact": 2,
        "outgroup_attitude": 60,
        "lonely_1": 2,
        "lonely_2": 2,
        "lonely_3": 1,
        "diversity_acceptance": 4,
    }
    sv_bad: list[dict[str, Any]] = [
        {"wave": "followup_6m"},
        {"wave": "followup_3m", "belonging": 7},
        {"wave": "followup_12m", "lonely_1": 0},
        {"wave": "followup_3m", "participant_id": "bt-ghost-004"},
        {"wave": "followup_12m", "outgroup_contact": 5},
        {"wave": "followup_3m", "outgroup_attitude": 101},
        {"wave": "followup_12m", "trust_people": 3.5},
        {"wave": "followup_3m", "diversity_acceptance": "viel"},
        {"wave": "followup_12m", "answered_at": None},
        {"wave": "followup_3m", "answered_at": "gestern"},
    ]
    surveys = []
    for i, over in enumerate(sv_bad):
        row = {**sv_t, **over}
        if over.get("participant_id") is None and i > 0:
            # a distinct (participant, wave) key for each bad row
            row["participant_id"] = ids[int(free[i % len(free)])] if len(free) else ids[sp]
        surveys.append(row)

    erasures = [
        {"participant_id": ids[int(np.flatnonzero(keep)[0])], "requested_at": ""},
        {"participant_id": "", "requested_at": _iso_local(last * DAY + 9 * 3600)},
        {"participant_id": ids[int(np.flatnonzero(keep)[1])], "requested_at": "bald"},
    ]
    return {
        "registrations": registrations,
        "matches": matches,
        "feedback": feedback,
        "surveys": surveys,
        "erasures": erasures,
    }


def _append_bad_rows(path: Path, fmt: str, feed: str, rows: list[dict[str, Any]]) -> int:
    """Append bad rows to a written CSV or JSONL file; returns the number of rows added."""
    columns = COLUMNS[feed]
    if fmt == "csv":
        with path.open("a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            for row in rows:
                writer.writerow(["" if row.get(c) is None else str(row[c]) for c in columns])
            added = len(rows)
            if feed == "registrations":
                # Two rows with a wrong number of fields.
                good = ["" if rows[0].get(c) is None else str(rows[0][c]) for c in columns]
                writer.writerow(["bt-bad-short", *good[1:-3]])
                writer.writerow(["bt-bad-long", *good[1:], "extra"])
                added += 2
        return added
    if fmt == "jsonl":
        with path.open("a", encoding="utf-8", newline="") as fh:
            for row in rows:
                out = {c: row.get(c) for c in columns}
                if feed != "surveys":
                    out = {c: (v if v != "" else None) for c, v in out.items()}
                fh.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n")
        return len(rows)
    raise ValueError(f"cannot append bad rows to {fmt}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Funders.
# ---------------------------------------------------------------------------------------------


def funders_toml(as_of: date = DEFAULT_AS_OF) -> str:
    """Funder scopes for ``as_of`` (periods placed so that they overlap the generated data).

    With the default ``as_of`` (2026-11-25): the ESF Plus programme funds Dresden and Chemnitz in
    the first half of 2026, the city of Leipzig the whole of 2026, an English-speaking
    foundation four cities from July 2025 to June 2026 and a small regional foundation three
    small cities in 2025 (small numbers, so disclosure control has work).
    """
    anchor = as_of - timedelta(days=270)
    h_start = date(anchor.year, 1 if anchor.month <= 6 else 7, 1)
    h_end = date(anchor.year, 6, 30) if anchor.month <= 6 else date(anchor.year, 12, 31)
    f_start = date(h_start.year - 1, 7, 1) if h_start.month == 1 else date(h_start.year, 1, 1)
    city_year = (as_of - timedelta(days=30)).year
    prev_year = as_of.year - 1
    funders = [
        (
            "esf-zukunftsplattform",
            "Zukunftsplattform Soziale Innovationen (ESF Plus)",
            ["Dresden", "Chemnitz"],
            h_start,
            h_end,
            "de",
        ),
        (
            "stadt-leipzig",
            "Stadt Leipzig, Referat für Migration und Integration",
            ["Leipzig"],
            date(city_year, 1, 1),
            date(city_year, 12, 31),
            "de",
        ),
        (
            "elbe-bridges-foundation",
            "Elbe Bridges Foundation",
            ["Leipzig", "Dresden", "Görlitz", "Bautzen"],
            f_start,
            h_end,
            "en",
        ),
        (
            "stiftung-miteinander-westsachsen",
            "Stiftung Miteinander Westsachsen",
            ["Zwickau", "Plauen", "Freiberg"],
            date(prev_year, 1, 1),
            date(prev_year, 12, 31),
            "de",
        ),
    ]
    lines = [
        "# Funder scopes for the sample data (pipelines.sample_data).",
        "# Each funder gets a report for its cities and its period only.",
        "",
    ]
    for fid, name, cities, start, end, lang in funders:
        city_list = ", ".join(json.dumps(c, ensure_ascii=False) for c in cities)
        lines += [
            "[[funder]]",
            f'id = "{fid}"',
            f"name = {json.dumps(name, ensure_ascii=False)}",
            f"cities = [{city_list}]",
            f"period_start = {start.isoformat()}",
            f"period_end = {end.isoformat()}",
            f'language = "{lang}"',
            "",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Orchestration.
# ---------------------------------------------------------------------------------------------


def _clean_out_dir(out_dir: Path) -> None:
    """Remove feed files left by an earlier run (only names this generator could have written)."""
    for path in sorted(out_dir.iterdir()):
        name = path.name.lower()
        if (
            path.is_file()
            and name.startswith(FEED_NAMES)
            and name.endswith((".csv", ".parquet", ".jsonl"))
        ):
            path.unlink()


def _half_year(days: np.ndarray) -> np.ndarray:
    """Half-year key (year * 2 + 0/1) of day numbers."""
    return _years(days) * 2 + (_months(days) > 6)


def generate(
    out_dir: Path,
    participants: int = 5000,
    seed: int = 42,
    as_of: date = DEFAULT_AS_OF,
    bad_rows: bool = False,
    funders_path: Path | None = None,
    *,
    formats: Iterable[str] = FORMATS,
    clean: bool = True,
    progress: bool | None = None,
) -> dict[str, int]:
    """Write a sample inbox to ``out_dir`` and return the number of rows written per feed.

    Args:
        out_dir: the inbox folder (created if missing).
        participants: number of registrations (clean rows).
        seed: random seed; the same seed, size, ``as_of`` and options give byte-identical files.
        as_of: the "now" of the data: every valid instant lies on a Berlin date before it.
        bad_rows: append rows that each break one contract rule to the text files of every feed.
        funders_path: where to write ``funders.toml`` (not written when None).
        formats: the file formats that may be used (``csv``, ``parquet``, ``jsonl``); each feed
            uses its preferred formats among them.
        clean: first delete feed files (``registrations*`` ... ``erasures*`` with a feed
            extension) that an earlier run left in ``out_dir``.
        progress: show a tqdm bar on stderr; default: only for more than 100,000 participants.

    Returns:
        Rows written per feed (repeated match rows and bad rows included), plus ``funders``
        when a funders file was written.
    """
    if participants < MIN_PARTICIPANTS:
        raise ValueError(f"participants must be at least {MIN_PARTICIPANTS}")
    allowed = [f for f in FORMATS if f in set(formats)]
    unknown = set(formats) - set(FORMATS)
    if unknown or not allowed:
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if clean:
        _clean_out_dir(out_dir)
    show = participants > PROGRESS_THRESHOLD if progress is None else progress
    as_of_day = _day(as_of)
    last = as_of_day - 1
    counts = dict.fromkeys(FEED_NAMES, 0)
    mtimes: dict[Path, int] = {}

    bar = tqdm(total=11, desc="sample data", unit="step", disable=not show, file=sys.stderr)

    def step(label: str) -> None:
        bar.set_postfix_str(label)
        bar.update(1)

    people = _make_people(participants, seed, as_of_day)
    step("participants")
    matches = _simulate_matches(people, seed, as_of_day)
    _assign_status(people, matches, seed, as_of_day)
    step("matches")
    events = _make_events(people, seed, as_of_day)
    feedback = _make_feedback(people, matches, events, seed, as_of_day)
    step("feedback model")
    surveys = _make_surveys(people, matches, seed, as_of_day)
    erased, requested = _make_erasures(people, matches, seed, as_of_day)
    step("surveys")

    written: dict[str, list[tuple[Path, str]]] = {f: [] for f in FEED_NAMES}

    # Registrations: one file per registration year; the newest with a BOM.
    reg = _registrations_table(people, seed)
    fmt = _pick_format(["csv", "parquet", "jsonl"], allowed)
    reg_years = _years(people.reg_day)
    year_list = sorted(set(reg_years.tolist()))
    for y in year_list:
        rows = np.flatnonzero(reg_years == y)
        path = out_dir / f"registrations_{y}.{fmt}"
        counts["registrations"] += _write_table(
            reg[rows], "registrations", path, fmt, bom=(y == year_list[-1])
        )
        mtimes[path] = _noon(min(_day(date(y, 12, 31)), last + 1))
        written["registrations"].append((path, fmt))
    del reg
    step("registrations")

    # Matches: an export four weeks before as_of, and the final export that repeats every
    # match that ended (or started) since.
    mt = _matches_table(people, matches, seed)
    fmt = _pick_format(["csv", "parquet", "jsonl"], allowed)
    snap = as_of_day - 28
    early_rows = np.flatnonzero(matches.matched_day < snap)
    ended_later = matches.ended_day >= snap
    early = mt[early_rows].with_columns(
        pl.when(pl.Series(ended_later[early_rows])).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("ended_at", "end_reason")
    )
    late_rows = np.flatnonzero((matches.matched_day >= snap) | ended_later)
    for day, table in ((snap, early), (as_of_day, mt[late_rows])):
        path = out_dir / f"matches_{_date(day).isoformat()}.{fmt}"
        counts["matches"] += _write_table(table, "matches", path, fmt)
        mtimes[path] = _noon(day)
        written["matches"].append((path, fmt))
    match_ids = mt.get_column("match_id")
    del mt, early
    step("matches")

    # Feedback: by half-year of the event date; the current half-year as CSV, the earlier
    # ones as Parquet (alternating UTC and naive Berlin timestamps), split into parts.
    halves = _half_year(feedback.day)
    half_list = sorted(set(halves.tolist()))
    for hi, h in enumerate(half_list):
        rows_h = np.flatnonzero(halves == h)
        year, second = divmod(h, 2)
        label = f"{year}H{second + 1}"
        current = h == half_list[-1]
        fmt = _pick_format(["csv", "jsonl"] if current else ["parquet", "csv"], allowed)
        n_parts = max(1, -(-len(rows_h) // FEEDBACK_ROWS_PER_FILE))
        end_day = min(_day(date(year, 12, 31) if second else date(year, 6, 30)), last + 1)
        for part, rows in enumerate(np.array_split(rows_h, n_parts), 1):
            suffix = f"_part{part:02d}" if n_parts > 1 else ""
            path = out_dir / f"feedback_{label}{suffix}.{fmt}"
            table = _feedback_table(people, match_ids, events, feedback, rows, seed)
            counts["feedback"] += _write_table(
                table, "feedback", path, fmt, naive_parquet=(hi % 2 == 1)
            )
            mtimes[path] = _noon(end_day)
            written["feedback"].append((path, fmt))
            del table
        bar.set_postfix_str(f"feedback {label}")
    step("feedback files")

    # Surveys: baseline answers and follow-ups in two files.
    fmt = _pick_format(["jsonl", "csv", "parquet"], allowed)
    for name, sel in (
        ("baseline", np.flatnonzero(surveys.wave == 0)),
        ("followups", np.flatnonzero(surveys.wave > 0)),
    ):
        path = out_dir / f"surveys_{name}.{fmt}"
        counts["surveys"] += _write_table(
            _surveys_table(people, surveys, sel), "surveys", path, fmt
        )
        mtimes[path] = _noon(as_of_day)
        written["surveys"].append((path, fmt))
    step("surveys")

    # Erasures.
    fmt = _pick_format(["csv", "jsonl", "parquet"], allowed)
    path = out_dir / f"erasures_{as_of.strftime('%Y-%m')}.{fmt}"
    er = pl.DataFrame(
        [
            people.ids.gather(pl.Series(erased)).alias("participant_id"),
            _epoch_col("requested_at", requested),
            pl.Series(STYLE, np.ones(len(erased), dtype=np.int8)),
        ]
    )
    counts["erasures"] += _write_table(er, "erasures", path, fmt)
    mtimes[path] = _noon(as_of_day)
    written["erasures"].append((path, fmt))
    step("erasures")

    if bad_rows:
        bad = _bad_rows(people, matches, match_ids, events, surveys, erased, as_of_day)
        for feed, rows_bad in bad.items():
            text_files = [(pth, f) for pth, f in written[feed] if f in ("csv", "jsonl")]
            if text_files:
                target, f = text_files[-1]
                counts[feed] += _append_bad_rows(target, f, feed, rows_bad)
            else:
                # Parquet only: the bad rows go to a separate all-text Parquet file.
                target = out_dir / f"{feed}_rejects.parquet"
                cols = COLUMNS[feed]
                pl.DataFrame(
                    {
                        c: [None if r.get(c) in (None, "") else str(r[c]) for r in rows_bad]
                        for c in cols
                    },
                    schema=dict.fromkeys(cols, pl.String),
                ).write_parquet(target)
                mtimes[target] = _noon(as_of_day)
                counts[feed] += len(rows_bad)
    step("bad rows")

    for path, mtime in mtimes.items():
        os.utime(path, (mtime, mtime))
    if funders_path is not None:
        funders_path = Path(funders_path)
        funders_path.parent.mkdir(parents=True, exist_ok=True)
        funders_path.write_text(funders_toml(as_of), encoding="utf-8")
        counts["funders"] = 4
    step("funders")
    bar.close()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; prints rows written per feed."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sample_data", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=Path("data/inbox"), help="inbox folder")
    parser.add_argument("--funders", type=Path, default=None, help="funders.toml to write")
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--bad-rows", action="store_true", help="add rows that break rules")
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help="allowed formats, e.g. csv,parquet,jsonl"
    )
    parser.add_argument(
        "--keep-existing",
        action="store_true",
        help="do not delete feed files of an earlier run in --out",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    counts = generate(
        args.out,
        participants=args.participants,
        seed=args.seed,
        as_of=args.as_of,
        bad_rows=args.bad_rows,
        funders_path=args.funders,
        formats=formats,
        clean=not args.keep_existing,
        progress=False if args.no_progress else None,
    )
    for feed, n in counts.items():
        print(f"{feed}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
