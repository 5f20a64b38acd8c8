"""Metadata every warehouse asset shows in the UI: its table's column schema and row count."""

import dagster as dg
import duckdb


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """``dagster/column_schema`` and ``dagster/row_count`` of a warehouse table (no values)."""
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return {
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=name, type=dtype) for name, dtype, *_ in columns]
        ),
        "dagster/row_count": int(rows),
        "table": table,
    }
