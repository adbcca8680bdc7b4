"""Example generations side by side, and where every system came from (lineage)."""

from __future__ import annotations

import json

import polars as pl

from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_tables import Section, Table, esc

LINEAGE_KEYS = ("kind", "ref", "run_id", "recipe", "run_status", "base_model", "base_model_path",
                "model_dir", "adapter_dir", "split_manifest_sha256", "label_snapshot",
                "run_manifest_sha256", "weights", "model_config_sha256", "global_step",
                "best_eval_loss", "run_git_commit", "method", "train_rows", "train_sha256")


def examples_section(data: EvalData, n: int) -> Section:
    """``#examples``: the first ``n`` items of each task, every system's text beside the reference."""
    from workbench.evaluation.rating_guide import human_brief

    html_parts, md_parts = [], []
    gens = data.generations.filter(pl.col("sample") == 0)
    for task in dict.fromkeys(data.items["task"].to_list()):
        items = data.items.filter(pl.col("task") == task).sort("item_id").head(n)
        html_parts.append(f"<h3>{esc(task)}</h3>")
        md_parts.append(f"### {task}\n")
        for item in items.iter_rows(named=True):
            texts = {r["system"]: r["text"] for r in
                     gens.filter(pl.col("item_id") == item["item_id"]).iter_rows(named=True)}
            if task == "brief_to_ad":
                given = human_brief(json.loads(item["brief"] or "{}"))
                given_title, ref_title = "brief", "real ad (reference)"
            else:
                given, given_title, ref_title = item["prompt"], "first half", "real second half"
            cards = [f'<div class="card brief"><h4>{given_title} · {esc(item["uid"])}</h4>'
                     f'<div class="am" lang="am">{esc(given)}</div></div>',
                     f'<div class="card ref"><h4>{ref_title}</h4>'
                     f'<div class="am" lang="am">{esc(item["reference"])}</div></div>']
            cards += [f'<div class="card" data-system="{esc(s)}"><h4>{esc(s)}</h4>'
                      f'<div class="am" lang="am">{esc(texts.get(s, ""))}</div></div>'
                      for s in data.systems]
            html_parts.append(f'<div class="examples">{"".join(cards)}</div>')
            md_parts.append(f"**{item['uid']}** — {given_title}:\n\n```\n{given}\n```\n\n"
                            f"{ref_title}:\n\n```\n{item['reference']}\n```\n")
            md_parts += [f"{s}:\n\n```\n{texts.get(s, '')}\n```\n" for s in data.systems]
    return Section("examples", "Example generations", "\n".join(html_parts), "\n".join(md_parts))


def lineage_section(data: EvalData) -> Section:
    """``#lineage``: one table per system (run, base model, split manifest, label snapshot...)."""
    html_parts, md_parts = [], []
    for name in data.systems:
        facts = data.manifest.systems.get(name, {})
        table = Table("", "lineage", ["field", "value"])
        for key in LINEAGE_KEYS:
            value = facts.get(key)
            if value in (None, "", {}):
                continue
            table.add([key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict)
                       else str(value)])
        html_parts.append(f"<h3>{esc(name)}</h3>{table.html()}")
        md_parts.append(f"### {name}\n\n{table.markdown()}")
    return Section("lineage", "Lineage", "\n".join(html_parts), "\n".join(md_parts))
