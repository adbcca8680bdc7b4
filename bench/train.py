"""Benchmark training set-ups: QLoRA 4-bit vs 8-bit LoRA vs plain LoRA vs full fine-tuning.

Usage::

    .venv/bin/python bench/train.py                       # CPU: tiny + small models, ~4 min
    .venv/bin/python bench/train.py --models tiny --steps 20
    .venv/bin/python bench/train.py --threads 1           # pin torch threads (busy machines)
    .venv/bin/python bench/train.py --gpu                 # CUDA: ~1B random model, QLoRA vs bf16 LoRA
    python bench/train.py --gpu --models 1b,7b --work /tmp/bt   # + a 7B (Mistral 7B's shape)
    .venv/bin/python bench/train.py --out bench-train.json
    .venv/bin/python bench/train.py --texts /path/to/afrisenti-amh/amh_train.tsv
        # continued pretraining on real Amharic tweets (varied lengths: packing matters)

Every configuration runs in its own subprocess (so peak memory is its own) through the
workbench's real code path: ``load_base_model`` (bitsandbytes where asked), peft, trl's
``SFTTrainer`` on the SFT examples ``build-data`` makes from seeded synthetic curated splits.
Reported per configuration:

- steps/s and real (non-padding) tokens/s, timed over the steps after ``--warmup``;
- peak resident memory of the process (and its growth over the post-import baseline), or peak
  GPU memory (``torch.cuda.max_memory_allocated``) with ``--gpu``;
- the share of non-padding tokens in the batches, packing off vs on (trl's best-fit-decreasing
  packing, padding-free).

Models are randomly initialised Llamas built locally (no download): ``tiny`` (hidden 128,
2 layers), ``small`` (hidden 512, 8 layers), ``1b`` (hidden 2048, 22 layers; GPU only) and ``7b``
(Mistral 7B's shape: hidden 4096, MLP 14336, 32 layers, 8 key/value heads; GPU only; its
vocabulary is the one BPE trains on the benchmark's texts, so ~7.0B parameters instead of 7.24B).
Random weights train at the speed and memory of real ones: the figures plan a real 7B run. With
``--gpu`` the bases are initialised on the GPU and saved in bfloat16. ``--work DIR`` keeps the
data and bases between runs (``--prepare-only`` stops after building them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: model -> (timed steps, warmup steps) when not given: 4-bit matmuls on CPU dequantize every
#: weight on every call, so the small model takes tens of seconds per step there.
DEFAULT_STEPS = {"tiny": (12, 3), "small": (4, 1), "1b": (10, 3), "7b": (8, 2)}

MODELS = {
    "tiny": {"vocab_size": 2000, "hidden_size": 128, "intermediate_size": 256,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2},
    "small": {"vocab_size": 4000, "hidden_size": 512, "intermediate_size": 1376,
              "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 4},
    "1b": {"vocab_size": 4000, "hidden_size": 2048, "intermediate_size": 5632,
           "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4},
    "7b": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
           "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8},
}

#: method name -> recipe fields
METHODS = {
    "qlora-4bit": {"method": "qlora", "quantization": {"load_in_4bit": True}},
    "lora-8bit": {"method": "lora", "quantization": {"load_in_8bit": True}},
    "lora": {"method": "lora", "quantization": {}},
    "full": {"method": "full", "quantization": {}},
}


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- Child: one configuration ----------------------------------------------------------------


def child(cfg: dict) -> dict:
    import torch

    if cfg["threads"]:
        torch.set_num_threads(cfg["threads"])
    from datasets import Dataset
    from peft import prepare_model_for_kbit_training
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from workbench.training.recipe import Recipe, sft_config_kwargs
    from workbench.training.run import load_base_model, load_tokenizer, peft_config
    from workbench.training.sft_data import load_split

    baseline = rss_mb()
    gpu = torch.cuda.is_available() and cfg["gpu"]
    method = METHODS[cfg["method"]]
    quant = dict(method["quantization"])
    if quant.get("load_in_4bit"):
        # bfloat16 compute is the GPU choice; on CPU it is ~6x slower than float32 here.
        quant["bnb_4bit_compute_dtype"] = "bfloat16" if gpu else "float32"
    recipe = Recipe.model_validate({
        "name": "bench", "method": method["method"], "seed": 0,
        "model": {"base": cfg["base"], "dtype": "bfloat16" if gpu else "float32"},
        "quantization": quant,
        "lora": {"r": 16, "alpha": 32, "dropout": 0.0} if method["method"] != "full" else None,
        "data": {"chat_template": cfg["chat_template"], "prompt_template": cfg["prompt_template"],
                 "objective": "cpt" if cfg["texts"] else "sft"},
        "training": {
            "use_cpu": not gpu, "bf16": gpu, "max_steps": cfg["warmup"] + cfg["steps"],
            "per_device_train_batch_size": cfg["batch"], "max_length": cfg["max_length"],
            "packing": cfg["packing"], "learning_rate": 1e-4, "logging_steps": 1,
            "eval_strategy": "no", "save_strategy": "no", "activation_checkpointing": gpu,
            "disable_tqdm": True,
        },
    })
    args = SFTConfig(**sft_config_kwargs(recipe, Path(cfg["out"])))
    tokenizer = load_tokenizer(recipe, cfg["base"])
    model = load_base_model(recipe, cfg["base"], vocab_size=len(tokenizer))
    weights_mb = model.get_memory_footprint() / 2**20
    if recipe.quantization.enabled:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gpu)
    if cfg["texts"]:
        from workbench.training.tokenizer_command import read_texts

        rows = [{"text": t} for _, t in read_texts(Path(cfg["texts"]))[:4000]]
    else:
        rows = load_split(Path(cfg["data"]), "sft", "train")
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args: object, state: object, control: object, **kw: object) -> None:
            if gpu:
                torch.cuda.synchronize()
            times.append(time.perf_counter())

    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer, peft_config=peft_config(recipe),
                         callbacks=[Clock()])
    # Share of real tokens in the batches the trainer will see (collation only, no model).
    real = total = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i == cfg["warmup"] + cfg["steps"]:
            break
        if "attention_mask" in batch:
            real += int(batch["attention_mask"].sum())
            total += batch["attention_mask"].numel()
        else:  # padding-free: one flat row of concatenated sequences
            real += int(batch["input_ids"].numel())
            total += int(batch["input_ids"].numel())
    n_batches = min(i + 1, cfg["warmup"] + cfg["steps"])
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    timed = times[cfg["warmup"]:]
    span = timed[-1] - times[cfg["warmup"] - 1] if cfg["warmup"] else timed[-1] - times[0]
    steps = len(timed) if cfg["warmup"] else len(timed) - 1
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return {
        "model": cfg["model"], "method": cfg["method"], "packing": cfg["packing"],
        "data": "texts" if cfg["texts"] else "sft",
        "steps_per_s": round(steps / span, 3),
        "real_tokens_per_s": round(real / n_batches * steps / span, 1),
        "non_padding_share": round(real / max(1, total), 3),
        "weights_mb": round(weights_mb, 1),
        "peak_rss_mb": round(rss_mb(), 1),
        "rss_over_baseline_mb": round(rss_mb() - baseline, 1),
        "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if gpu else None,
        "trainable_params": trainable,
        "device": torch.cuda.get_device_name(0) if gpu else f"cpu x{torch.get_num_threads()}",
    }


# --- Parent ----------------------------------------------------------------------------------


def prepare(work: Path, models: list[str], *, gpu: bool) -> tuple[Path, dict[str, Path]]:
    """Synthetic curated splits -> SFT data; one random base per model size (kept if built)."""
    from synthetic.splits import write_synthetic_splits
    from workbench.training.recipe import TinyModelConfig, load_recipe
    from workbench.training.run import tokenizer_texts
    from workbench.training.sft_data import build_data
    from workbench.training.tiny_model import MARKER, build_tiny_base

    write_synthetic_splits(work, n_ads=400, n_non_ads=40, n_channels=5, seed=0)
    recipe = load_recipe("tiny-cpu")
    summary = build_data(work, recipe, progress=False)
    texts = tokenizer_texts(summary.out_dir, recipe)
    template = Path(recipe.data.chat_template).read_text(encoding="utf-8")
    bases = {}
    for name in models:
        folder = work / "bases" / name
        if (folder / MARKER).exists():
            bases[name] = folder
            continue
        spec = TinyModelConfig(**MODELS[name])
        bases[name] = build_tiny_base(folder, texts, spec, chat_template=template,
                                      dtype="bfloat16" if gpu else "float32",
                                      device="cuda" if gpu else "cpu")
    return summary.out_dir, bases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma list of tiny,small,1b,7b")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma list")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per configuration (default: tiny 12, small 4, 1b 10)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first (default: tiny 3, small 1, 1b 3)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--gpu", action="store_true", help="run on CUDA (QLoRA vs bf16 LoRA)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep data and bases here (default: a temporary folder)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="build the data and bases in --work, train nothing")
    parser.add_argument("--texts", type=Path, default=None,
                        help="real texts (TSV with a text/tweet column, Parquet or one per line): "
                             "continued pretraining on them instead of the synthetic SFT set")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        print("RESULT " + json.dumps(child(json.loads(opts.child))), flush=True)
        return

    models = (opts.models or ("1b" if opts.gpu else "tiny,small")).split(",")
    methods = opts.methods.split(",")
    if opts.gpu and opts.methods == ",".join(METHODS):
        methods = ["qlora-4bit", "lora"]  # bf16 LoRA on GPU
    from workbench.training.recipe import load_recipe

    tiny = load_recipe("tiny-cpu")
    rows = []
    with contextlib.ExitStack() as stack:
        if opts.work:
            work = opts.work.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-train-")))
        t0 = time.perf_counter()
        data, bases = prepare(work, models, gpu=opts.gpu)
        print(f"prepared data and {len(bases)} base(s) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        if opts.prepare_only:
            return
        plan = [(m, meth, False) for m in models for meth in methods]
        # Packing on vs off with one method: the first on GPU (QLoRA), plain LoRA on CPU, where
        # 4-bit steps are slow and packing's effect on padding does not depend on the method.
        packed = methods[0] if opts.gpu or "lora" not in methods else "lora"
        plan += [(m, packed, True) for m in models]
        for model, method, packing in plan:
            cfg = {"model": model, "method": method, "packing": packing, "base": str(bases[model]),
                   "data": str(data), "out": str(work / "out"),
                   "steps": opts.steps or DEFAULT_STEPS[model][0],
                   "warmup": opts.warmup if opts.warmup is not None else DEFAULT_STEPS[model][1], "batch": opts.batch, "max_length": opts.max_length,
                   "threads": opts.threads, "gpu": opts.gpu,
                   "texts": str(opts.texts.resolve()) if opts.texts else None,
                   "chat_template": tiny.data.chat_template,
                   "prompt_template": tiny.data.prompt_template}
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)],
                                  capture_output=True, text=True, check=False,
                                  env={**os.environ, "TQDM_DISABLE": "1"})
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                print(f"{model} {method} packing={packing}: FAILED: {tail}", file=sys.stderr)
                rows.append({"model": model, "method": method, "packing": packing,
                             "error": tail[:300]})
                continue
            row = json.loads(line[len("RESULT "):])
            row["wall_s"] = round(time.perf_counter() - t, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(table(rows))
    print(f"\nload average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    if opts.out:
        opts.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def table(rows: list[dict]) -> str:
    cols = ["model", "data", "method", "packing", "steps_per_s", "real_tokens_per_s",
            "non_padding_share", "weights_mb", "peak_rss_mb", "rss_over_baseline_mb",
            "peak_gpu_mb", "trainable_params", "device"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        if "error" in row:
            out.append(f"| {row['model']} | {row['method']} | {row['packing']} | failed: "
                       f"{row['error'][:80]} |")
            continue
        out.append("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
