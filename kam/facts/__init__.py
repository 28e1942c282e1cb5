"""Account facts computed from transaction history (docs/method.md sections 1 and 6).

The pieces, for the web app, the CLI and notebooks alike:

- **Import** (``kam.facts.store``): ``TransactionStore(root).lines_import(path=...)`` checks a
  CSV or Parquet file of invoice lines in DuckDB and keeps the typed lines as one Parquet
  file per source under ``<KAM_DATA_DIR>/transactions/lines/`` (``default_root()``). It is
  all or nothing per file unless ``skip_bad_rows=True``; a refused file raises
  ``TransactionImportError`` whose ``report`` lists the first problems (row, column,
  reason) and counts the rest. ``progress(phase, fraction)`` follows the import.
  Re-importing a file already stored changes nothing; importing again under the same
  source name replaces that source. ``available_spend_set`` / ``available_spend_import``
  keep the small account → available spend table (share of wallet).
- **Definitions** (``kam.facts.definitions``): ``account_facts(lines, as_of=D)``, the facts
  as one Ibis expression that runs on DuckDB, Spark, BigQuery or Snowflake (kam runs it on
  DuckDB as the SQL compiled from it, ``kam.facts.compiled``; ``make facts-sql``).
- **Computation** (``kam.facts.compute``): ``store_facts(store, as_of=D)`` and
  ``facts_table``/``facts_rows`` run the definitions on DuckDB in-process and return one
  row per account (``AccountFacts``, or an Arrow table).

docs/facts.md describes the file columns, the definitions, the CLI (``kam facts``) and how
to run the same facts on a warehouse.
"""
