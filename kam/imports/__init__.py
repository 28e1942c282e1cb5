"""What every import of kam shares: reading numbers and delimited text (docs/import.md)."""
