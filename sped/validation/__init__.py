"""Validation of submissions with Great Expectations, suites generated from the contracts.

The entry points are imported on first use, so that importing a light module of this package
(the rule SQL, `sql_gate`) does not start GX."""

__all__ = ["validate_batch", "validate_cross"]


def __getattr__(name: str):
    if name in __all__:
        from sped.validation import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'sped.validation' has no attribute {name!r}")
