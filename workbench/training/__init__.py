"""Training stage: SFT data from curated splits, Amharic tokenizers, QLoRA/LoRA/full runs, merges.

Continued pretraining then SFT (``--from``, :mod:`.lineage`), sweeps (:mod:`.sweep`), run
comparison (:mod:`.compare`), memory estimates (:mod:`.memory`), Hugging Face exports and cards
(:mod:`.export`, :mod:`.cards`).

Nothing here imports torch, transformers, peft or trl at module level: those come in inside the
functions that need them, so ``workbench --help`` stays fast.
"""
