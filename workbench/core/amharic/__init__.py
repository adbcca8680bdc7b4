"""Amharic text rules, one owner for every stage: normalisation, homophones, ad items.

* :mod:`~workbench.core.amharic.patterns`: the facts as data (script ranges, homophone and
  casefold tables, whitespace) and the regular expressions for phones, links, mentions,
  hashtags, emojis and stray symbols.
* :mod:`~workbench.core.amharic.prices`: prices as posts write them (amounts, currency words,
  multipliers, spoken decimals, per area, negotiable).
* :mod:`~workbench.core.amharic.exprs`: their Polars expression forms (ingest's cleaned columns).
* :mod:`~workbench.core.amharic.strings`: their per-string forms (queries, briefs, checks,
  evaluation), built on the same tables and expressions.
"""
