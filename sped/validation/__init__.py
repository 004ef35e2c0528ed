"""Validation of submissions with Great Expectations, suites generated from the contracts."""

from sped.validation.runner import validate_batch, validate_cross

__all__ = ["validate_batch", "validate_cross"]
