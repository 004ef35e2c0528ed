"""Independent Python implementations of the regulatory figures, used to check the dbt marts."""
