"""Candidate Amharic ads from a brief: prompt, model registry, baselines, checks, provenance.

Cheap to import: torch, transformers, peft and LanceDB are imported where they are used.
"""
