"""Check, before training, that the loss covers the completion and not the prompt.

A chat template without ``{% generation %}`` markers, a ``max_length`` that cuts every ad away or
a flag forgotten in a config all give a loss mask of all zeros (nothing learnt) or all ones (the
model learns to write briefs), and both train without any error in most tools. This module looks
at a real collated batch and fails loudly.

Examples
--------
>>> import torch
>>> batch = {"input_ids": torch.ones(1, 6, dtype=torch.long),
...          "attention_mask": torch.ones(1, 6, dtype=torch.long),
...          "labels": torch.tensor([[-100, -100, -100, 5, 6, 7]])}
>>> check_loss_mask(batch, prompt_lengths=[3]).trained_tokens
3
>>> check_loss_mask({**batch, "labels": torch.full((1, 6), -100)})
Traceback (most recent call last):
...
workbench.training.loss_mask.LossMaskError: loss mask is all zeros: ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    import torch

IGNORE_INDEX = -100


class LossMaskError(WorkbenchError):
    """The loss mask of a training batch is wrong (all zeros, all ones, or over the prompt)."""


@dataclass(frozen=True)
class LossMaskReport:
    """What the check saw."""

    rows: int
    real_tokens: int
    trained_tokens: int
    rows_checked: int

    @property
    def share(self) -> float:
        """Share of real (non-padding) tokens that carry loss."""
        return self.trained_tokens / max(1, self.real_tokens)

    def line(self) -> str:
        """One line for logs."""
        return (f"loss mask ok: {self.trained_tokens}/{self.real_tokens} tokens trained "
                f"({self.share:.0%}) in {self.rows} rows; {self.rows_checked} rows checked "
                "against their prompt length")


def _eligible(batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Positions that could carry loss: real tokens, minus packed-sequence starts."""
    import torch

    ids = batch["input_ids"]
    if "attention_mask" in batch:
        return batch["attention_mask"].bool()
    if "position_ids" in batch:
        # Padding-free packing: one flat row; sequence starts never carry loss (the collator
        # masks them), and trailing padding repeats position 0.
        return batch["position_ids"] != 0
    return torch.ones_like(ids, dtype=torch.bool)


def check_loss_mask(
    batch: Mapping[str, Any],
    *,
    prompt_lengths: Sequence[int] | None = None,
    objective: str = "sft",
    min_coverage: float = 0.9,
) -> LossMaskReport:
    """Fail loudly unless the batch's labels train the completions and only them.

    Parameters
    ----------
    batch
        A collated batch with ``input_ids`` and ``labels`` (``-100`` = no loss), shape
        ``(rows, seq_len)``, plus ``attention_mask`` or ``position_ids``.
    prompt_lengths
        For unpacked SFT batches: the token length of each row's prompt (chat template applied
        with the generation prompt). Each row must then train nothing before its prompt ends
        (one boundary token allowed) and at least ``min_coverage`` of what follows it.
    objective
        ``sft`` (a mask of all ones is an error) or ``cpt`` (every token is trained).
    min_coverage
        Minimum share of a row's completion tokens that must carry loss.

    Returns
    -------
    LossMaskReport
        Counts, for the run log.

    Raises
    ------
    LossMaskError
        When no token is trained, when every token is trained in an SFT batch, or when a row's
        mask starts inside its prompt or misses its completion.
    """
    labels = batch["labels"]
    trained = labels != IGNORE_INDEX
    eligible = _eligible(batch)
    n_trained = int(trained.sum())
    n_real = int(eligible.sum())
    if n_trained == 0:
        msg = ("loss mask is all zeros: no token of the batch carries loss. Check that the chat "
               "template wraps the assistant turn in {% generation %} ... {% endgeneration %} "
               "and that max_length leaves room for the completion after the prompt")
        raise LossMaskError(msg)
    if objective == "sft" and bool(trained[eligible].all()):
        msg = ("loss mask is all ones: the prompt is trained as well as the completion. "
               "assistant_only_loss must be on and the template's {% generation %} block must "
               "cover the assistant turn only")
        raise LossMaskError(msg)
    checked = 0
    if objective == "sft" and prompt_lengths is not None and "attention_mask" in batch:
        for row, prompt_len in enumerate(prompt_lengths):
            row_len = int(eligible[row].sum())
            positions = trained[row].nonzero().flatten().tolist()
            if prompt_len >= row_len:
                continue  # prompt alone fills max_length: trl drops such rows
            if not positions or positions[0] < prompt_len - 1:
                start = positions[0] if positions else None
                msg = (f"loss mask of row {row} starts at token {start} but its prompt ends at "
                       f"token {prompt_len}: the prompt would be trained")
                raise LossMaskError(msg)
            covered = sum(p >= prompt_len for p in positions)
            if covered < min_coverage * (row_len - prompt_len):
                msg = (f"loss mask of row {row} covers {covered} of its {row_len - prompt_len} "
                       "completion tokens: the completion is not fully trained")
                raise LossMaskError(msg)
            checked += 1
    return LossMaskReport(rows=int(labels.shape[0]), real_tokens=n_real,
                          trained_tokens=n_trained, rows_checked=checked)


def prompt_length(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> int:
    """Token length of ``messages`` minus the last (assistant) turn, with the generation prompt."""
    out = tokenizer.apply_chat_template(list(messages[:-1]), tokenize=True,
                                        add_generation_prompt=True, return_dict=True)
    return len(out["input_ids"])


def check_trainer_batch(trainer: Any, tokenizer: Any, *, objective: str, n_rows: int = 8
                        ) -> LossMaskReport:
    """Collate the first rows of a trl trainer's prepared training set and check their mask."""
    dataset = trainer.train_dataset
    rows = [dataset[i] for i in range(min(n_rows, len(dataset)))]
    if not rows:
        msg = "the training set is empty after tokenization (max_length too small?)"
        raise LossMaskError(msg)
    batch = trainer.data_collator([{k: r[k] for k in ("input_ids", "labels", "seq_lengths")
                                    if k in r} for r in rows])
    lengths = None
    if objective == "sft" and "messages" in rows[0] and "seq_lengths" not in rows[0]:
        lengths = [prompt_length(tokenizer, r["messages"]) for r in rows]
    return check_loss_mask(batch, prompt_lengths=lengths, objective=objective)
