"""What every import of kam shares (docs/import.md): the problems and the refusal of a file
(``problems``), reading CSV and XLSX tables (``readers``, ``tables``), numbers (``numbers``),
the limits (``limits``), file errors (``files``) and DuckDB SQL literals (``sql``)."""
