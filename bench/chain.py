"""Continued pretraining, then SFT from it, on a random base with Mistral's extended tokenizer.

The seeds' chain, through the workbench's own code (``train_tokenizer --kind extend``,
``train_run`` twice, the second ``--from`` the first), timed and measured::

    # everything on one machine (CPU: a tiny shape)
    .venv/bin/python bench/chain.py prepare --work /tmp/chain
    .venv/bin/python bench/chain.py run --work /tmp/chain --shape tiny
    # or prepare here and run where the GPU is (needs no tokenizer package there)
    python bench/chain.py run --work /tmp/chain --shape 1b --steps 60 --out chain.json

``prepare`` builds a data dir from the synthetic posts by the real stages (ingest, labels,
curated splits), saves Mistral 7B v0.1's tokenizer (from the ``mistral-common`` package) and
extends it with Amharic pieces learnt from the cleaned posts. ``run`` saves a randomly
initialised Llama of the chosen shape with that tokenizer's vocabulary (no download), trains
``tiny-cpu-cpt``'s continued-pretraining objective on it with LoRA (embeddings and head trained
in full: the new Amharic rows must learn), then SFT from that run (``--from``), and reports each
run's time, throughput, first and last loss, peak memory, and the SFT run's lineage.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.layout import Layout  # noqa: E402
from workbench.training.recipe import TinyModelConfig, load_recipe  # noqa: E402

SHAPES = {
    "tiny": TinyModelConfig(vocab_size=32000, hidden_size=64, intermediate_size=128,
                            num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                            max_position_embeddings=4096),
    "1b": TinyModelConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632,
                          num_hidden_layers=16, num_attention_heads=16, num_key_value_heads=8,
                          max_position_embeddings=4096),
}


def prepare(work: Path, n_new: int) -> None:
    """Data dir, Mistral v1's tokenizer and its Amharic extension under ``work``."""
    from tests.pipeline_data import synthetic_copy
    from workbench.training.tokenizer_bases import packaged_tokenizer
    from workbench.training.tokenizer_command import train_tokenizer

    data = work / "data"
    synthetic_copy(data, n_ads=160, n_non_ads=60, seed=5)
    mistral = packaged_tokenizer("mistral-v1")
    mistral.load().save_pretrained(work / "mistral-v1")
    shutil.copyfile(mistral.path, work / "mistral-v1" / "tokenizer.model")
    report = train_tokenizer(Layout(data).cleaned_messages, work / "mistral-am", kind="extend",
                             bases=["mistral-v1"], n_new=n_new)
    print(report.table())


def _peak(gpu: bool) -> float:
    if gpu:
        import torch

        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run(work: Path, shape: str, steps: int) -> dict[str, Any]:
    """Random base, CPT, then SFT from it; what each run took."""
    import torch
    from transformers import AutoTokenizer, TrainingArguments

    from workbench.core.manifests import RunManifest, read_manifest
    from workbench.training.run import train_run
    from workbench.training.tiny_model import save_random_llama

    gpu = torch.cuda.is_available()
    data, extended = work / "data", work / "mistral-am"
    base = work / f"base-{shape}"
    if not (base / "config.json").exists():
        save_random_llama(base, AutoTokenizer.from_pretrained(work / "mistral-v1"), SHAPES[shape],
                          dtype="bfloat16" if gpu else "float32", device="cuda" if gpu else "cpu")
        shutil.copyfile(work / "mistral-v1" / "tokenizer.model", base / "tokenizer.model")
    common = [f"model.base={base}", "model.tiny=null", f"model.tokenizer={extended}",
              "method=lora", "quantization.load_in_4bit=false",
              "lora.modules_to_save=[embed_tokens, lm_head]",
              f"training.max_steps={steps}", "training.logging_steps=5",
              f"training.eval_steps={max(5, steps // 2)}", f"training.save_steps={steps}"]
    if gpu:
        common += ["model.dtype=bfloat16", "training.use_cpu=false", "training.bf16=true",
                   "model.attn_implementation=sdpa"]
    results: dict[str, Any] = {"shape": shape, "device": torch.cuda.get_device_name(0)
                               if gpu else "cpu", "steps": steps}
    for name, recipe_name, extra in (("cpt", "tiny-cpu-cpt", []),
                                     ("sft", "tiny-cpu",
                                      ["data.chat_template=../templates/chat-inst.jinja"])):
        recipe = load_recipe(recipe_name, [*common, *extra])
        if name == "sft":
            recipe = recipe.model_copy(update={"from_run": "chain-cpt"})
        if "activation_checkpointing" not in TrainingArguments.__dataclass_fields__:
            # transformers before 5.2x calls it gradient_checkpointing (a GPU image's own copy).
            flag = recipe.training.pop("activation_checkpointing", False)
            recipe.training["gradient_checkpointing"] = flag
        if gpu:
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        result = train_run(data, recipe, run_id=f"chain-{name}", progress=False,
                           log=lambda line: print(f"  {line}", flush=True))
        seconds = time.perf_counter() - started
        metrics = [json.loads(line) for line in
                   (result.run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
        losses = [m["loss"] for m in metrics if "loss" in m and "eval_loss" not in m]
        evals = [m["eval_loss"] for m in metrics if "eval_loss" in m]
        results[name] = {"status": result.status, "seconds": round(seconds, 1),
                         "steps_per_s": round(steps / seconds, 2),
                         "first_loss": losses[0] if losses else None,
                         "last_loss": losses[-1] if losses else None,
                         "best_eval_loss": min(evals) if evals else None,
                         "peak_gib": round(_peak(gpu), 2)}
    manifest = read_manifest(Layout(data).run("chain-sft") / "manifest.json",
                             RunManifest)
    results["sft_parent_run"] = manifest.parent_run
    results["vocabulary"] = len(AutoTokenizer.from_pretrained(extended))
    return results


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["prepare", "run"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/chain"))
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--n-new", type=int, default=4000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.work, args.n_new)
        return
    results = run(args.work, args.shape, args.steps)
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
