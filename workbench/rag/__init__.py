"""Retrieval over past channel ads and campaign briefs (LanceDB: full-text + vectors, fused).

Cheap to import: LanceDB, scikit-learn and torch are imported inside the functions that use them.
"""
