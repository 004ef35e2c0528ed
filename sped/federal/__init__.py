"""The state's federal files: the IDEA section 618 child count as EDFacts file specifications
FS002 (school age) and FS089 (early childhood), written from the federal marts
(`marts.fct_federal_category_sets`) after the federal edit checks (docs/federal_files.md).

- specs: the two files' category sets, permitted values and flat (non-XML) record layouts;
- edit_checks: the federal edit checks, the very dbt tests every build runs, run again on the
  published warehouse before a file is written;
- flatfile: the header record and the data records in the fixed-width layout;
- files: what `sped edfacts` does (refusals, checks, writing);
- cli: the `sped edfacts` command.
"""
