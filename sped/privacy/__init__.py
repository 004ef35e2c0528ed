"""Protecting students in what is shown beyond the state team."""
