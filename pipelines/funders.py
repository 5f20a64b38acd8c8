"""Read and validate ``BT_FUNDERS`` (TOML ``[[funder]]`` tables) into ``transforms.Funder`` scopes.

Funder ids become folder names under ``BT_REPORTS``, so they are checked against
``[a-z0-9-]+`` before anything else; every error names the file and the line.
"""

import datetime as dt
import re
import tomllib
from pathlib import Path

from transforms import Funder

FUNDER_ID = re.compile(r"[a-z0-9-]+")
LANGUAGES = ("de", "en")


class FundersError(ValueError):
    """``BT_FUNDERS`` is missing or invalid; the message names the file and line."""


def _header_lines(text: str) -> list[int]:
    """1-based line numbers of the ``[[funder]]`` headers, in order."""
    return [
        i
        for i, line in enumerate(text.splitlines(), start=1)
        if re.fullmatch(r"\s*\[\[\s*funder\s*\]\]\s*(#.*)?", line)
    ]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of ``key = ...`` in the table whose header is line ``start`` (else ``start``)."""
    lines = text.splitlines()
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.lstrip().startswith("["):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return start


def parse_funders(text: str, source: str = "funders.toml") -> list[Funder]:
    """Validated funders of a TOML document, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FundersError(f"{source}: {exc}") from exc
    entries = data.get("funder", [])
    if not isinstance(entries, list):
        raise FundersError(f"{source}: 'funder' must be an array of tables ([[funder]])")
    headers = _header_lines(text)
    funders: list[Funder] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        start = headers[i] if i < len(headers) else 1

        def fail(key: str, problem: str, start: int = start) -> FundersError:
            return FundersError(f"{source}, line {_key_line(text, start, key)}: {key} {problem}")

        fid = entry.get("id")
        if not isinstance(fid, str) or not FUNDER_ID.fullmatch(fid):
            raise fail("id", "must be a string of a-z, 0-9 and '-'")
        if fid in seen:
            raise fail("id", f"{fid!r} is used twice")
        seen.add(fid)
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise fail("name", "must be a non-empty string")
        cities = entry.get("cities")
        if (
            not isinstance(cities, list)
            or not cities
            or not all(isinstance(c, str) and c.strip() for c in cities)
        ):
            raise fail("cities", "must be a non-empty list of city names")
        dates = {}
        for key in ("period_start", "period_end"):
            value = entry.get(key)
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise fail(key, "must be a TOML date (YYYY-MM-DD)")
            dates[key] = value
        if dates["period_start"] > dates["period_end"]:
            raise fail("period_end", "is before period_start")
        language = entry.get("language", "en")
        if language not in LANGUAGES:
            raise fail("language", 'must be "de" or "en"')
        funders.append(
            Funder(
                id=fid,
                name=name.strip(),
                cities=tuple(dict.fromkeys(c.strip() for c in cities)),
                period_start=dates["period_start"],
                period_end=dates["period_end"],
                language=language,
            )
        )
    return funders


def load_funders(path: Path) -> list[Funder]:
    """Validated funders of the ``BT_FUNDERS`` file."""
    if not path.is_file():
        raise FundersError(f"funders file {path} does not exist (set BT_FUNDERS)")
    return parse_funders(path.read_text(encoding="utf-8"), path.name)
