"""Configuration: where an installation lives (settings) and the state profile (profile)."""
