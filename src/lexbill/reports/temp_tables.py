"""Small lookup tables (rate intervals) a report joins to a million rows in one query.

A report that prices rows by rate cuts the rates into intervals in Python, writes them to a
temporary table on its own connection, and joins it in SQL. Two things make that fast on both
engines, and are easy to forget, so they live here once:

* **filling it** — PostgreSQL takes the rows by ``COPY`` (30,000 intervals: a few hundredths of a
  second, where ``executemany`` is round trips); SQLite by multi-row ``INSERT``\\s, a few hundred
  rows per statement.
* **statistics** — PostgreSQL's autovacuum never analyzes a temporary table, so without an
  explicit ``ANALYZE`` the planner guesses its size and joined the WIP report's million entries
  to it by nested loop (33 s instead of 0.7 s, bench/REPORTS.md). SQLite gets the same, so its
  planner knows the table's key is selective.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

# SQLite allows 32,766 bound values per statement (3.32+); a few hundred rows keep it well under.
_ROWS_PER_INSERT = 500


def fill(
    name: str, columns: Sequence[tuple[str, str]], key: Sequence[str], rows: list[Any]
) -> None:
    """(Re)fill temporary table ``name`` — created on first use with ``columns`` as (name, SQL
    type) and an index on ``key`` — with ``rows``, then analyze it. Dates go in as ``date``
    objects on PostgreSQL and ISO text on SQLite, as the caller gives them."""
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} "
            f"({', '.join(f'{c} {kind}' for c, kind in columns)})"
        )
        index = f"temp.{name}_key" if sqlite else f"{name}_key"
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {name} ({', '.join(key)})")
        cursor.execute(f"DELETE FROM {name}" if sqlite else f"TRUNCATE {name}")
        if rows and sqlite:
            one = "(" + ", ".join(["%s"] * len(columns)) + ")"
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                cursor.execute(
                    f"INSERT INTO {name} VALUES {', '.join([one] * len(chunk))}",
                    [value for row in chunk for value in row],
                )
        elif rows:
            raw: Any = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
            with raw.copy(f"COPY {name} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.execute(f"ANALYZE temp.{name}" if sqlite else f"ANALYZE {name}")
