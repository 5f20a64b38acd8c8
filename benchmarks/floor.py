"""The floor: DuckDB loading every inbox row once, nothing else.

One ``CREATE TABLE ... AS SELECT * FROM read_csv/read_parquet/read_json(...)`` per file into a
fresh DuckDB file (CSV as all text). No validation, no lineage, no transaction juggling: no
ingest can be faster than this on the same machine::

    python -m benchmarks.floor --inbox DIR --db FILE
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

READERS = {
    ".csv": "read_csv({}, header = true, all_varchar = true)",
    ".parquet": "read_parquet({})",
    ".jsonl": "read_json({}, format = 'newline_delimited')",
}
FEEDS = ("registrations", "matches", "feedback", "surveys", "erasures")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to create")
    args = parser.parse_args(argv)
    args.db.unlink(missing_ok=True)
    rows = 0
    with duckdb.connect(str(args.db)) as con:
        files = sorted(args.inbox.iterdir())
        for i, path in enumerate(files):
            reader = READERS.get(path.suffix.lower())
            if reader is None or not path.name.lower().startswith(FEEDS):
                continue
            sql_path = "'" + str(path).replace("'", "''") + "'"
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader.format(sql_path)}")
            rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
    print(f"rows: {rows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
