"""The packaged defaults: a project folder's user-editable files, plus the demo's samples.

``labeling/`` (taxonomy, rules, guidelines), ``training/`` (recipes, templates, accelerate
config) and ``eval/`` (suites, metric modules) are what ``workbench init DIR`` copies into a
project folder; ``samples/`` holds the demo's synthetic exports, seed labels and briefs.
Read them through :mod:`workbench.core.resources`, never by path arithmetic.
"""
