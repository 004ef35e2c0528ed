"""Reports read from the registry and the warehouse: submissions, data quality."""
