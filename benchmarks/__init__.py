"""Reproducible benchmarks; each reports a ratio against a baseline run in the same process."""
