"""SQL text for DuckDB, as the readers of large files write it (kam.facts, kam.imports.numbers).

A value put into SQL is always a literal made here, never pasted in: a file name, a
currency or a pattern with a quote in it stays one string.
"""

from __future__ import annotations


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (a column name from a file's header)."""
    return '"' + name.replace('"', '""') + '"'
