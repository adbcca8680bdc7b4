"""Seeded synthetic data for the tests and benchmarks (not installed with the workbench).

Everything here produces a stage's *input* and then runs the real upstream stages on it, so a
test or benchmark downstream of curation starts from files the pipeline itself wrote.
"""
