"""Ingest: turning a stored file into typed rows, with clear messages for what cannot be read."""
