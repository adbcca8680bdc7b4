"""Evaluation: suites, metrics, human ratings and the leaderboard report (``workbench eval``)."""
