"""Process plumbing every `sped` process shares: a quiet exit, lean imports, scratch folders and
the failpoints tests stop a run at. Imports nothing heavier than the standard library and DuckDB."""
