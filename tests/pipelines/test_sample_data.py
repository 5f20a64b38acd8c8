"""Tests of the sample-data generator (``pipelines.sample_data``).

The generated clean inbox is checked against the contract's row rules and referential
integrity with DuckDB, reading the files the way a consumer would (CSV as text, Parquet and
JSONL with their own types, naive timestamps as Berlin wall time).
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipelines import sample_data as sd
from pipelines.contract import AVAILABILITY_SLOTS, FEEDS_BY_NAME, ISO_639_1, interests

AS_OF = date(2026, 11, 25)
N = 3000
FEEDS = ("registrations", "matches", "feedback", "surveys", "erasures")


def _files(inbox: Path, feed: str) -> list[Path]:
    return sorted(p for p in inbox.iterdir() if p.name.lower().startswith(feed))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("clean")
    inbox, funders = root / "inbox", root / "funders.toml"
    counts = sd.generate(inbox, participants=N, seed=7, as_of=AS_OF, funders_path=funders)
    return inbox, funders, counts


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    inbox = tmp_path_factory.mktemp("bad") / "inbox"
    counts = sd.generate(inbox, participants=N, seed=7, as_of=AS_OF, bad_rows=True)
    return inbox, counts


def _relation(con: duckdb.DuckDBPyConnection, inbox: Path, feed: str) -> str:
    """SQL of the union of a feed's files, every column as text, plus file mtime and row."""
    columns = FEEDS_BY_NAME[feed].columns
    selects = []
    for path in _files(inbox, feed):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            source = f"read_csv('{path}', all_varchar=true, header=true)"
        elif suffix == ".parquet":
            source = f"read_parquet('{path}')"
        else:
            source = f"read_json('{path}', format='newline_delimited')"
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
        mtime = path.stat().st_mtime
        selects.append(
            f"SELECT {cols}, {mtime} AS _mtime, '{path.name}' AS _file, "
            f"row_number() OVER () AS _row FROM {source}"
        )
    return " UNION ALL ".join(selects)


@pytest.fixture(scope="module")
def con(clean: tuple[Path, Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    inbox = clean[0]
    c = duckdb.connect()
    c.execute("SET TimeZone = 'Europe/Berlin'")
    for feed in FEEDS:
        c.execute(f"CREATE TABLE raw_{feed} AS {_relation(c, inbox, feed)}")
    c.execute(
        """
        CREATE TABLE reg AS SELECT *, CAST(registered_at AS TIMESTAMPTZ) AS reg_ts
        FROM raw_registrations;
        CREATE TABLE m AS SELECT *, CAST(matched_at AS TIMESTAMPTZ) AS m_ts,
            CAST(ended_at AS TIMESTAMPTZ) AS e_ts
        FROM raw_matches
        QUALIFY row_number() OVER (PARTITION BY match_id ORDER BY _mtime DESC, _file DESC,
                                   _row DESC) = 1;
        CREATE TABLE fb AS SELECT *, CAST(event_date AS DATE) AS d,
            CAST(submitted_at AS TIMESTAMPTZ) AS s_ts FROM raw_feedback;
        CREATE TABLE sv AS SELECT *, CAST(answered_at AS TIMESTAMPTZ) AS a_ts FROM raw_surveys;
        CREATE TABLE er AS SELECT *, CAST(requested_at AS TIMESTAMPTZ) AS q_ts FROM raw_erasures;
        """
    )
    return c


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]


def _sql_list(values: list[str] | tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# ---------------------------------------------------------------------------------------------


def test_reproducible_by_seed(tmp_path: Path) -> None:
    a = sd.generate(tmp_path / "a", participants=600, seed=3, as_of=AS_OF, bad_rows=True)
    b = sd.generate(tmp_path / "b", participants=600, seed=3, as_of=AS_OF, bad_rows=True)
    sd.generate(tmp_path / "c", participants=600, seed=4, as_of=AS_OF)
    assert a == b
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        fa, fb = tmp_path / "a" / name, tmp_path / "b" / name
        assert fa.read_bytes() == fb.read_bytes(), name
        assert fa.stat().st_mtime == fb.stat().st_mtime, name
    regs_a = b"".join(p.read_bytes() for p in _files(tmp_path / "a", "registrations"))
    regs_c = b"".join(p.read_bytes() for p in _files(tmp_path / "c", "registrations"))
    assert regs_a != regs_c


def test_every_feed_present_in_the_planned_formats(
    clean: tuple[Path, Path, dict[str, int]],
) -> None:
    inbox = clean[0]
    suffixes = {feed: {p.suffix for p in _files(inbox, feed)} for feed in FEEDS}
    assert suffixes == {
        "registrations": {".csv"},
        "matches": {".csv"},
        "feedback": {".csv", ".parquet"},
        "surveys": {".jsonl"},
        "erasures": {".csv"},
    }
    boms = [p.read_bytes().startswith(b"\xef\xbb\xbf") for p in _files(inbox, "registrations")]
    assert sum(boms) == 1
    # the later matches export has the later modification time
    early, late = _files(inbox, "matches")
    assert late.stat().st_mtime > early.stat().st_mtime
    # Parquet feedback: both UTC and naive (Berlin wall time) timestamps
    kinds = {
        pq.read_schema(p).field("submitted_at").type.tz
        for p in _files(inbox, "feedback")
        if p.suffix == ".parquet"
    }
    assert kinds == {None, "UTC"}


def test_columns_per_contract(clean: tuple[Path, Path, dict[str, int]]) -> None:
    inbox = clean[0]
    for feed in FEEDS:
        expected = list(FEEDS_BY_NAME[feed].columns)
        for path in _files(inbox, feed):
            if path.suffix == ".csv":
                header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0]
                assert header.split(",") == expected, path.name
            elif path.suffix == ".parquet":
                assert pq.read_schema(path).names == expected, path.name
            else:
                first = json.loads(path.read_text(encoding="utf-8").split("\n", 1)[0])
                assert list(first) == expected, path.name
                assert isinstance(first["answered_at"], str)


def test_returned_counts_match_the_files(
    clean: tuple[Path, Path, dict[str, int]], con: duckdb.DuckDBPyConnection
) -> None:
    counts = clean[2]
    for feed in FEEDS:
        assert counts[feed] == _count(con, f"SELECT * FROM raw_{feed}"), feed
    assert counts["registrations"] == N
    assert counts["feedback"] > 10 * N  # ~20 rows per participant
    assert 2 <= counts["erasures"] <= N // 100


def test_registrations_follow_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    as_of, max_birth = AS_OF.isoformat(), AS_OF.year - 14
    iso = _sql_list(ISO_639_1)
    slugs = _sql_list([i.slug for i in interests()])
    slots = _sql_list(AVAILABILITY_SLOTS)
    violations = {
        "id": "SELECT * FROM reg WHERE NOT regexp_full_match(participant_id, '[A-Za-z0-9_-]{1,64}')",
        "id unique": "SELECT participant_id FROM reg GROUP BY 1 HAVING count(*) > 1",
        "future": f"SELECT * FROM reg WHERE CAST(reg_ts AS DATE) > DATE '{as_of}'",
        "group": "SELECT * FROM reg WHERE \"group\" IS NULL OR \"group\" NOT IN ('newcomer', 'local')",
        "city": "SELECT * FROM reg WHERE coalesce(trim(city), '') = ''",
        "postcode": "SELECT * FROM reg WHERE NOT regexp_full_match(postcode, '[0-9]{5}')",
        "birth_year": f"SELECT * FROM reg WHERE NOT regexp_full_match(birth_year, '[0-9]{{4}}') "
        f"OR CAST(birth_year AS INT) NOT BETWEEN 1910 AND {max_birth}",
        "gender": "SELECT * FROM reg WHERE gender NOT IN ('female','male','diverse','unspecified')",
        "languages": f"SELECT * FROM (SELECT unnest(string_split(languages, ';')) AS c FROM reg) "
        f"WHERE c NOT IN {iso}",
        "languages required": "SELECT * FROM reg WHERE coalesce(languages, '') = ''",
        "learning": f"SELECT * FROM (SELECT unnest(string_split(learning_languages, ';')) AS c "
        f"FROM reg) WHERE c NOT IN {iso}",
        "interests": f"SELECT * FROM (SELECT unnest(string_split(interests, ';')) AS c FROM reg) "
        f"WHERE c NOT IN {slugs}",
        "interests required": "SELECT * FROM reg WHERE coalesce(interests, '') = ''",
        "availability": f"SELECT * FROM (SELECT unnest(string_split(availability, ';')) AS c "
        f"FROM reg) WHERE c NOT IN {slots}",
        "preference": "SELECT * FROM reg WHERE gender_preference NOT IN ('any', 'same')",
        "arrival": "SELECT * FROM reg WHERE arrival_year IS NOT NULL AND "
        "(\"group\" <> 'newcomer' OR CAST(arrival_year AS INT) NOT BETWEEN 2014 AND 2026)",
        "consent": "SELECT * FROM reg WHERE consent_research IS NULL OR "
        "consent_research NOT IN ('true','false','1','0','yes','no')",
        "status": "SELECT * FROM reg WHERE status NOT IN ('waiting','matched','paused','left')",
    }
    bad = {name: _count(con, sql) for name, sql in violations.items()}
    assert all(v == 0 for v in bad.values()), bad
    # realism: the mix the pipeline has to handle
    assert _count(con, "SELECT * FROM reg WHERE postcode LIKE '0%'") > 0
    assert _count(con, "SELECT * FROM reg WHERE city <> trim(city)") > 0
    share = con.execute("SELECT avg(CAST(\"group\" = 'newcomer' AS INT)) FROM reg").fetchone()[0]
    assert 0.48 < share < 0.6
    styles = con.execute(
        "SELECT count(*) FILTER (WHERE registered_at LIKE '%Z'), "
        "count(*) FILTER (WHERE registered_at LIKE '%+0_:00'), "
        "count(*) FILTER (WHERE length(registered_at) = 19) FROM reg"
    ).fetchone()
    assert min(styles) > 0


def test_matches_reference_registered_people(con: duckdb.DuckDBPyConnection) -> None:
    as_of = AS_OF.isoformat()
    violations = {
        "newcomer": "SELECT * FROM m LEFT JOIN reg r ON r.participant_id = m.newcomer_id "
        "WHERE r.\"group\" IS DISTINCT FROM 'newcomer'",
        "local": "SELECT * FROM m LEFT JOIN reg r ON r.participant_id = m.local_id "
        "WHERE r.\"group\" IS DISTINCT FROM 'local'",
        "same city": "SELECT * FROM m JOIN reg a ON a.participant_id = m.newcomer_id "
        "JOIN reg b ON b.participant_id = m.local_id WHERE trim(a.city) <> trim(b.city)",
        "after registrations": "SELECT * FROM m JOIN reg a ON a.participant_id = m.newcomer_id "
        "JOIN reg b ON b.participant_id = m.local_id WHERE m_ts < a.reg_ts OR m_ts < b.reg_ts",
        "not after as_of": f"SELECT * FROM m WHERE CAST(m_ts AS DATE) > DATE '{as_of}'",
        "ended": "SELECT * FROM m WHERE e_ts < m_ts",
        "reason": "SELECT * FROM m WHERE end_reason NOT IN "
        "('completed','no_contact','moved','mismatch','other')",
        "one open tandem each": "SELECT p FROM (SELECT newcomer_id p FROM m WHERE e_ts IS NULL "
        "UNION ALL SELECT local_id FROM m WHERE e_ts IS NULL) GROUP BY p HAVING count(*) > 1",
    }
    bad = {name: _count(con, sql) for name, sql in violations.items()}
    assert all(v == 0 for v in bad.values()), bad
    # the later export repeats matches that ended since the earlier one
    repeated = _count(
        con,
        "SELECT match_id FROM raw_matches GROUP BY 1 HAVING count(*) = 2 AND count(ended_at) = 1",
    )
    assert repeated > 0
    # some people wait (no open match, status waiting), in both groups
    waiting = con.execute(
        """
        SELECT count(*) FILTER (WHERE "group" = 'newcomer'), count(*) FILTER (WHERE "group" = 'local')
        FROM reg WHERE coalesce(status, 'waiting') = 'waiting' AND participant_id NOT IN (
            SELECT newcomer_id FROM m WHERE e_ts IS NULL UNION SELECT local_id FROM m WHERE e_ts IS NULL)
        """
    ).fetchone()
    assert min(waiting) > 0.03 * N


def test_feedback_references_matches_and_people(con: duckdb.DuckDBPyConnection) -> None:
    as_of = AS_OF.isoformat()
    violations = {
        "id unique": "SELECT feedback_id FROM fb GROUP BY 1 HAVING count(*) > 1",
        "registered": "SELECT * FROM fb WHERE participant_id NOT IN (SELECT participant_id FROM reg)",
        "kind": "SELECT * FROM fb WHERE event_kind NOT IN ('tandem_meeting', 'group_event')",
        "tandem match": "SELECT * FROM fb LEFT JOIN m USING (match_id) WHERE "
        "event_kind = 'tandem_meeting' AND (m.match_id IS NULL OR "
        "fb.participant_id NOT IN (m.newcomer_id, m.local_id))",
        "tandem after match": "SELECT * FROM fb JOIN m USING (match_id) "
        "WHERE d < CAST(m_ts AS DATE)",
        "group event": "SELECT * FROM fb WHERE event_kind = 'group_event' "
        "AND (match_id IS NOT NULL OR event_id IS NULL)",
        "date": f"SELECT * FROM fb WHERE d > DATE '{as_of}'",
        "attended": "SELECT * FROM fb WHERE attended IS NULL",
        "rating": "SELECT * FROM fb WHERE CAST(rating AS INT) NOT BETWEEN 1 AND 5",
        "contacts": "SELECT * FROM fb WHERE CAST(new_contacts_other_group AS INT) NOT BETWEEN 0 AND 50",
        "comment": "SELECT * FROM fb WHERE length(comment) > 2000",
        "submitted": "SELECT * FROM fb WHERE s_ts IS NULL OR CAST(s_ts AS DATE) < d",
    }
    bad = {name: _count(con, sql) for name, sql in violations.items()}
    assert all(v == 0 for v in bad.values()), bad
    assert _count(con, "SELECT * FROM fb WHERE event_id LIKE 'ev-leipzig-20__-__-__'") > 0
    # some matches are sustained (METRICS.md): >= 3 attended dates in 90 days, >= 42 days apart
    sustained = _count(
        con,
        """
        SELECT match_id FROM fb JOIN m USING (match_id)
        WHERE CAST(attended AS BOOLEAN) AND d <= CAST(m_ts AS DATE) + 90
        GROUP BY match_id HAVING count(DISTINCT d) >= 3 AND max(d) - min(d) >= 42
        """,
    )
    assert sustained > 0.1 * _count(con, "SELECT * FROM m")


def test_surveys_and_erasures_follow_the_rules(con: duckdb.DuckDBPyConnection) -> None:
    ranges = {
        "belonging": (1, 5), "trust_people": (1, 5), "outgroup_contact": (0, 4),
        "outgroup_attitude": (0, 100), "lonely_1": (1, 3), "lonely_2": (1, 3),
        "lonely_3": (1, 3), "diversity_acceptance": (1, 5),
    }  # fmt: skip
    out_of_range = " OR ".join(
        f'(CAST("{c}" AS INT) NOT BETWEEN {lo} AND {hi})' for c, (lo, hi) in ranges.items()
    )
    violations = {
        "key unique": "SELECT participant_id, wave FROM sv GROUP BY ALL HAVING count(*) > 1",
        "registered": "SELECT * FROM sv WHERE participant_id NOT IN (SELECT participant_id FROM reg)",
        "wave": "SELECT * FROM sv WHERE wave NOT IN ('baseline', 'followup_3m', 'followup_12m')",
        "answered": "SELECT * FROM sv WHERE a_ts IS NULL",
        "ranges": f"SELECT * FROM sv WHERE {out_of_range}",
        "erasure registered": "SELECT * FROM er WHERE participant_id NOT IN "
        "(SELECT participant_id FROM reg)",
        "erasure requested": "SELECT * FROM er WHERE q_ts IS NULL",
    }
    bad = {name: _count(con, sql) for name, sql in violations.items()}
    assert all(v == 0 for v in bad.values()), bad
    # consenting people with a baseline and a follow-up, so survey deltas have pairs
    pairs = _count(
        con,
        """
        SELECT * FROM sv b JOIN sv f USING (participant_id) JOIN reg USING (participant_id)
        WHERE b.wave = 'baseline' AND f.wave = 'followup_3m'
          AND consent_research IN ('true', '1', 'yes')
        """,
    )
    assert pairs > 0.1 * N
    # an erased participant with a tandem, so erasure has to cascade
    assert _count(con, "SELECT * FROM er JOIN m ON participant_id IN (newcomer_id, local_id)")


def test_bad_rows_add_rows_of_many_kinds(
    clean: tuple[Path, Path, dict[str, int]], bad: tuple[Path, dict[str, int]]
) -> None:
    clean_counts, (inbox, bad_counts) = clean[2], bad
    for feed in FEEDS:
        assert bad_counts[feed] > clean_counts[feed], feed
    text = {
        feed: "".join(p.read_text(encoding="utf-8-sig") for p in _files(inbox, feed)
                      if p.suffix in (".csv", ".jsonl"))
        for feed in FEEDS
    }  # fmt: skip
    assert ",tourist," in text["registrations"]
    assert ",maybe," in text["registrations"]
    assert "b" * 65 in text["registrations"]
    assert ",bored" in text["matches"]
    assert "x" * 2001 in text["feedback"]
    assert '"followup_6m"' in text["surveys"]
    assert '"belonging":7' in text["surveys"]
    # each appended bad row except the two with a wrong field count has the contract's width
    last_reg = _files(inbox, "registrations")[-1].read_text(encoding="utf-8-sig")
    assert last_reg.count("bt-bad-short") == 1 and last_reg.count("bt-bad-long") == 1


def test_funders_toml(
    clean: tuple[Path, Path, dict[str, int]], con: duckdb.DuckDBPyConnection
) -> None:
    funders = tomllib.loads(clean[1].read_text(encoding="utf-8"))["funder"]
    assert len(funders) >= 3
    ids = [f["id"] for f in funders]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    by_id = {f["id"]: f for f in funders}
    esf = by_id["esf-zukunftsplattform"]
    assert esf["cities"] == ["Dresden", "Chemnitz"]
    assert esf["language"] == "de"
    assert esf["period_start"].year == 2026 and esf["period_end"].year == 2026
    assert by_id["stadt-leipzig"]["cities"] == ["Leipzig"]
    assert any(f["language"] == "en" and len(f["cities"]) > 1 for f in funders)
    for f in funders:
        assert isinstance(f["period_start"], date) and f["period_start"] <= f["period_end"]
        cities = _sql_list(f["cities"])
        n = _count(
            con,
            f"SELECT * FROM m JOIN reg ON participant_id = newcomer_id "
            f"WHERE trim(city) IN {cities} AND CAST(m_ts AS DATE) BETWEEN "
            f"DATE '{f['period_start']}' AND DATE '{f['period_end']}'",
        )
        assert n > 0, f["id"]


def test_formats_option_restricts_the_files(tmp_path: Path) -> None:
    counts = sd.generate(tmp_path, participants=300, seed=1, formats=["parquet"], bad_rows=True)
    assert {p.suffix for p in tmp_path.iterdir()} == {".parquet"}
    assert counts["feedback"] > 0


def test_score_matches_the_matching_spec() -> None:
    """The vectorised score equals MATCHING.md computed row by row on the written profiles."""
    as_of_day = sd._day(AS_OF)
    people = sd._make_people(200, 5, as_of_day)
    table = sd._registrations_table(people, 5).to_dicts()
    rng = np.random.default_rng(0)
    n_idx, l_idx = rng.integers(0, 200, 300), rng.integers(0, 200, 300)
    fast = sd.match_scores(people, n_idx, l_idx)

    def items(row: dict, col: str) -> set[str]:
        return set(row[col].split(";")) if row[col] else set()

    for k, (i, j) in enumerate(zip(n_idx, l_idx, strict=True)):
        a, b = table[i], table[j]
        ia, ib = items(a, "interests"), items(b, "interests")
        s_int = len(ia & ib) / len(ia | ib)
        s_lang = (
            bool(items(a, "learning_languages") & items(b, "languages"))
            + bool(items(b, "learning_languages") & items(a, "languages"))
        ) / 2
        aa, ab = items(a, "availability"), items(b, "availability")
        s_av = len(aa & ab) / min(len(aa), len(ab)) if aa and ab else 0.5
        s_dist = float(a["district"] is not None and a["district"] == b["district"])
        ya, yb = a["birth_year"], b["birth_year"]
        s_age = 1 - min(abs(ya - yb), 40) / 40 if ya is not None and yb is not None else 0.5
        slow = 0.4 * s_int + 0.25 * s_lang + 0.15 * s_av + 0.1 * s_dist + 0.1 * s_age
        assert fast[k] == pytest.approx(slow, abs=1e-12)


def test_interest_vocabulary_is_the_spec_file() -> None:
    assert list(sd.INTEREST_SLUGS) == [i.slug for i in interests()]
    assert set(sd.LANGS) <= set(ISO_639_1)


# --- geography: Saxon cities for small runs, a national rollout for large ones ---------------


def test_small_runs_keep_the_saxon_cities() -> None:
    for n in (sd.MIN_PARTICIPANTS, N, 5000, 50_000, 81_000):
        assert sd.geography(n) is sd.CITIES, n
    assert len(sd.geography(100_000)) > len(sd.CITIES)


def _base_city(name: str) -> str:
    """The city of an area ("Leipzig-Grünau" -> "Leipzig")."""
    bases = [*sd.CITY_NAMES, *(c[0] for c in sd.NATIONAL_CITIES)]
    found = [
        b
        for b in bases
        if name == b or name.startswith(re.split(r" (?:am|an der|im|\()", b)[0] + "-")
    ]
    assert len(found) == 1, (name, found)
    return found[0]


@pytest.mark.parametrize("n", [100_000, 1_000_000, 3_000_000])
def test_large_runs_spread_over_a_national_rollout(n: int) -> None:
    cities = sd.geography(n)
    names = [c[0] for c in cities]
    slugs = [c[1] for c in cities]
    assert len(set(names)) == len(names)
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)
    weights = np.array([c[2] for c in cities])
    expected = n * weights / weights.sum()
    assert expected.max() <= sd.CITY_CAP
    # Saxony, the platform's home, keeps a share above its share of the population (~5%)
    base = [_base_city(name) for name in names]
    saxon = np.array([b in sd.CITY_NAMES for b in base])
    assert set(sd.CITY_NAMES) <= set(base)
    assert 0.05 < expected[saxon].sum() / n < (0.75 if n < 200_000 else 0.15)
    postcode_city: dict[str, set[str]] = {}
    for (_, _, _, newcomer_share, districts), b in zip(cities, base, strict=True):
        assert 0.5 < newcomer_share < 0.6
        assert len({d[0] for d in districts}) == len(districts) >= 3
        for _, postcodes, wn, wl in districts:
            assert wn > 0 and wl > 0
            for pc in postcodes:
                assert re.fullmatch(r"[0-9]{5}", pc)
                postcode_city.setdefault(pc, set()).add(b)
    assert all(len(c) == 1 for c in postcode_city.values())


def test_geography_at_a_million_uses_whole_cities() -> None:
    cities = sd.geography(1_000_000)
    names = {c[0] for c in cities}
    assert {"Berlin", "Hamburg", "München", "Leipzig", "Dresden", "Chemnitz"} <= names
    assert names <= {*sd.CITY_NAMES, *(c[0] for c in sd.NATIONAL_CITIES)}
    assert len(cities) >= 60


def test_large_run_people_stay_within_the_city_bound() -> None:
    n = 120_000
    as_of_day = sd._day(AS_OF)
    people = sd._make_people(n, 11, as_of_day)
    cities = sd.geography(n)
    assert people.city_names == tuple(c[0] for c in cities)
    counts = np.bincount(people.city, minlength=len(cities))
    assert (counts > 0).all()
    assert counts.max() <= 1.03 * sd.CITY_CAP
    # districts and postcodes belong to the person's city
    districts = {(c[0], d[0]) for c in cities for d in c[4]}
    postcodes = {(c[0], pc) for c in cities for d in c[4] for pc in d[1]}
    reg = sd._registrations_table(people, 11).select(
        pl.col("city").str.strip_chars(), "district", "postcode"
    )
    pairs = reg.drop_nulls("district").select("city", "district").unique().rows()
    assert set(pairs) <= districts
    pairs = reg.drop_nulls("postcode").select("city", "postcode").unique().rows()
    assert set(pairs) <= postcodes
    # one event a day at most per city, ids unique and named after the city
    events = sd._make_events(people, 11, as_of_day)
    assert events.ids.n_unique() == len(events.ids)
    assert set(np.unique(events.city)) == set(range(len(cities)))
    assert events.ids.str.starts_with("ev-berlin-").any()
