"""Reads a Parquet download of Bothy's reports in DuckDB, beside the CSV of
the same download, and prints as JSON: the Parquet file's column types as
DuckDB sees them, its row count, its row groups, and every row that does not
say what the CSV says (a date as year-month-day, a number by value, and
null where the CSV shows nothing, * (suppressed) or - (nothing to average)).

    python duckdb_check.py FILE.parquet FILE.csv
    python duckdb_check.py --check      # is duckdb importable?
"""

import csv
import datetime
import json
import sys

import duckdb


def same(value, field):
    if value is None:
        return field in ("", "*", "-")
    if isinstance(value, datetime.date):
        return value.isoformat() == field
    if isinstance(value, bool):
        return str(int(value)) == field
    if isinstance(value, (int, float)):
        try:
            return float(field) == float(value)
        except ValueError:
            return False
    return value == field


def main():
    if sys.argv[1:] == ["--check"]:
        print(duckdb.__version__)
        return
    parquet_path, csv_path = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    rel = con.read_parquet(parquet_path)
    rows = rel.fetchall()
    groups = con.execute(
        "SELECT COUNT(DISTINCT row_group_id) FROM parquet_metadata(?)", [parquet_path]
    ).fetchone()[0]
    with open(csv_path, newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    header, body = lines[0], lines[1:]
    mismatches = []
    if header != rel.columns:
        mismatches.append({"header": rel.columns, "csv": header})
    if len(body) != len(rows):
        mismatches.append({"rows": len(rows), "csv_rows": len(body)})
    for i, (row, line) in enumerate(zip(rows, body)):
        for name, value, field in zip(rel.columns, row, line):
            if not same(value, field):
                mismatches.append({"row": i, "column": name, "parquet": str(value), "csv": field})
    print(
        json.dumps(
            {
                "types": dict(zip(rel.columns, [str(t) for t in rel.types])),
                "rows": len(rows),
                "row_groups": groups,
                "mismatches": mismatches[:20],
            }
        )
    )


if __name__ == "__main__":
    main()
