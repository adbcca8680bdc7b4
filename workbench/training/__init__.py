"""Training stage: SFT data from curated splits, Amharic tokenizers, QLoRA/LoRA/full runs, merges.

Nothing here imports torch, transformers, peft or trl at module level: those come in inside the
functions that need them, so ``workbench --help`` stays fast.
"""
