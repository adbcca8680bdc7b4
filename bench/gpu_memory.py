"""Peak GPU memory of a QLoRA step at each recipe's real shape, against ``train estimate``.

Usage::

    # on a machine with a CUDA GPU (needs torch, transformers, peft, bitsandbytes, pyyaml only):
    python bench/gpu_memory.py --measure --out gpu-memory.json [--recipes a,b] [--work /tmp/gm]
    # anywhere with the workbench installed: the measured figures beside the estimates
    .venv/bin/python bench/gpu_memory.py --compare gpu-memory.json

``--measure`` builds, for every QLoRA recipe with a ``model.architecture`` section, a randomly
initialised base of exactly that shape on the GPU (no download), saves it in bfloat16, loads it
back the way ``load_base_model`` does (NF4, double quantization, bfloat16 compute, the recipe's
attention kernel), applies ``prepare_model_for_kbit_training`` with activation checkpointing and
the recipe's LoRA (trainable weights in bfloat16, as trl does on a quantized base), then runs three
optimizer steps of paged 8-bit AdamW on full rows (``per_device_train_batch_size`` x
``max_length`` tokens: the estimate's worst case). Peak memory is
``torch.cuda.max_memory_allocated`` from the load on (CUDA context not included, as in the
estimate). It is a plain training loop, not trl's trainer: trl adds no tensor of the model's size.

Random weights take the memory of real ones, so the figures plan a real run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "training" / "recipes"
GIB = 2**30


def qlora_recipes(names: list[str] | None) -> list[Path]:
    """Recipe files with a 4-bit base and an architecture section (optionally only ``names``)."""
    import yaml

    found = []
    for path in sorted(RECIPES.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        arch = (raw.get("model") or {}).get("architecture")
        four_bit = (raw.get("quantization") or {}).get("load_in_4bit")
        if arch and four_bit and raw.get("method") == "qlora" and (not names or raw["name"] in names):
            found.append(path)
    return found


def measure_one(path: Path, work: Path, steps: int) -> dict[str, Any]:
    """Peak allocated GPU memory of ``steps`` QLoRA steps on a random base of the recipe's shape."""
    import bitsandbytes as bnb
    import torch
    import yaml
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    arch = dict(raw["model"]["architecture"])
    config = AutoConfig.for_model(arch.pop("model_type"), **arch)
    folder = work / raw["name"]
    started = time.perf_counter()
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    del model
    torch.cuda.empty_cache()

    quant = raw["quantization"]
    torch.cuda.reset_peak_memory_stats()
    model = AutoModelForCausalLM.from_pretrained(
        folder, dtype=torch.bfloat16, device_map={"": 0},
        attn_implementation=raw["model"].get("attn_implementation") or "sdpa",
        quantization_config=BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=quant["bnb_4bit_quant_type"],
            bnb_4bit_use_double_quant=quant["bnb_4bit_use_double_quant"],
            bnb_4bit_compute_dtype=torch.bfloat16))
    weights = torch.cuda.memory_allocated()
    quantized = sum(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
    training = raw["training"]
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    lora = raw["lora"]
    model = get_peft_model(model, LoraConfig(
        r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora.get("dropout", 0.0),
        target_modules=lora["target_modules"], use_rslora=lora.get("use_rslora", False),
        task_type="CAUSAL_LM"))
    for param in model.parameters():
        if param.requires_grad:
            param.data = param.data.to(torch.bfloat16)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer = bnb.optim.PagedAdamW8bit([p for p in model.parameters() if p.requires_grad],
                                         lr=float(training["learning_rate"]))
    batch, length = int(training["per_device_train_batch_size"]), int(training["max_length"])
    generator = torch.Generator(device="cuda").manual_seed(0)
    model.train()
    step_seconds = []
    for _ in range(steps):
        ids = torch.randint(0, config.vocab_size, (batch, length), device="cuda",
                            generator=generator)
        tick = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        step_seconds.append(time.perf_counter() - tick)
    peak = torch.cuda.max_memory_allocated()
    del model, optimizer
    torch.cuda.empty_cache()
    shutil.rmtree(folder, ignore_errors=True)
    return {"recipe": raw["name"], "model_type": config.model_type, "batch": batch,
            "max_length": length, "trainable_params": trainable,
            "weights_bytes": weights, "peak_bytes": peak, "linear4bit_modules": quantized,
            "seconds_per_step": sorted(step_seconds)[len(step_seconds) // 2],
            "wall_seconds": round(time.perf_counter() - started, 1)}


def measure(names: list[str] | None, out: Path, work: Path, steps: int) -> None:
    """Measure every selected recipe, writing ``out`` after each (a timeout keeps what was done).

    Each recipe runs in its own process: a model freed in the same process can stay allocated
    until the garbage collector breaks its reference cycles, and would count in the next peak.
    """
    import subprocess

    import torch

    rows: list[dict[str, Any]] = []
    meta = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__}
    for path in qlora_recipes(names):
        done = subprocess.run([sys.executable, __file__, "--measure-one", str(path), "--work",
                               str(work), "--steps", str(steps)],
                              capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode == 0 and lines:
            rows.append(json.loads(lines[-1]))
        else:
            rows.append({"recipe": path.stem, "error": done.stderr.strip()[-300:]})
        print(json.dumps(rows[-1]), flush=True)
        out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1), encoding="utf-8")


def compare(measured: Path) -> None:
    """Print a Markdown table: measured peak, the workbench's estimate and their ratio."""
    sys.path.insert(0, str(ROOT))
    from workbench.training.memory import estimate_memory
    from workbench.training.recipe import load_recipe

    data = json.loads(measured.read_text(encoding="utf-8"))
    print(f"GPU: {data['meta']['gpu']}, torch {data['meta']['torch']}\n")
    print("| recipe | batch x tokens | 4-bit linears | weights | measured peak | estimate "
          "| estimate / measured |")
    print("|---|---|---|---|---|---|---|")
    for row in data["rows"]:
        if "error" in row:
            print(f"| {row['recipe']} | | | | failed: {row['error'][:60]} | | |")
            continue
        estimate = estimate_memory(load_recipe(RECIPES / f"{row['recipe']}.yaml")).total
        print(f"| {row['recipe']} | {row['batch']} x {row['max_length']} "
              f"| {row.get('linear4bit_modules', '?')} | {row['weights_bytes'] / GIB:.2f} GiB | {row['peak_bytes'] / GIB:.2f} GiB "
              f"| {estimate / GIB:.2f} GiB | {estimate / row['peak_bytes']:.2f} |")


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="run on the GPU")
    parser.add_argument("--measure-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--compare", type=Path, help="a --measure output to set beside estimates")
    parser.add_argument("--out", type=Path, default=Path("gpu-memory.json"))
    parser.add_argument("--recipes", help="comma-separated recipe names (default: every QLoRA one)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gpu-memory"))
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if args.measure_one:
        print(json.dumps(measure_one(args.measure_one, args.work, args.steps)), flush=True)
    elif args.measure:
        measure(args.recipes.split(",") if args.recipes else None, args.out, args.work, args.steps)
    elif args.compare:
        compare(args.compare)
    else:
        parser.error("give --measure (on a GPU) or --compare FILE")


if __name__ == "__main__":
    main()
