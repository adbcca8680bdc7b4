"""``workbench report``: an evaluation as one self-contained HTML page and its Markdown twin.

What the report shows, in order (each a ``<section>`` with this id):

``comparison``
    Challenger vs champion from ``compare.json``: the verdict, per metric the paired difference
    with its CI and p-value, check pass rates, the human win rate with its interval and votes,
    every gate condition (without a compare: how to make one).
``lost-items``
    The items where the challenger lost most on the gate metric, beside the reference and the
    champion's output (with a compare only).
``leaderboard``
    Per task, systems ranked by the copy-aware ranking metric with the plain metric, check pass
    rate, novelty and a "copies" marker; paired tests against the leader; metric plots.
``errors``, ``moderation``
    Output-check failures and moderation flags per system, with examples; what was not measured.
``human``
    Likert means, Bradley-Terry strengths and win rates with intervals and vote counts, agreement.
``history``
    The champion's ranking metric over every kept evaluation, and who held the title when.
``training``, ``examples``, ``lineage``
    Loss curves, example generations side by side, where every system came from.

Modules: :mod:`~workbench.evaluation.report_data` (reading), ``report_tables`` (table model),
``report_figures`` (plots), one module per section, ``report_page`` (the two writers).
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.layout import Layout
from workbench.evaluation.report_page import ReportResult


def build_report(data_dir: Path, *, eval_id: str | None = None, out_dir: Path | None = None,
                 examples: int = 3, lost: int = 5) -> ReportResult:
    """Write ``leaderboard.html`` and ``leaderboard.md`` for an evaluation.

    Parameters
    ----------
    data_dir
        Root of the stage folders (``DIR/eval``, ``DIR/runs``).
    eval_id
        Evaluation to report (default: the newest finished one).
    out_dir
        Output folder (created; default ``DIR/reports``).
    examples
        Items shown side by side per task.
    lost
        Items shown where the challenger lost most.

    Returns
    -------
    ReportResult
        Paths written, figure names and section ids in order.
    """
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.report_compare import comparison_section, lost_items_section
    from workbench.evaluation.report_data import load_compare, load_eval
    from workbench.evaluation.report_examples import examples_section, lineage_section
    from workbench.evaluation.report_history import history_section
    from workbench.evaluation.report_human import human_section
    from workbench.evaluation.report_leaderboard import leaderboard_section, training_section
    from workbench.evaluation.report_page import write_report
    from workbench.evaluation.report_quality import errors_section, moderation_section

    data = load_eval(find_eval(data_dir, eval_id))
    result = load_compare(data_dir, data.eval_dir.name)
    human, votes = human_section(data)
    sections = [comparison_section(data, result), lost_items_section(data, result, lost),
                leaderboard_section(data, votes), errors_section(data), moderation_section(data),
                human, history_section(data_dir, data), training_section(data_dir, data),
                examples_section(data, examples), lineage_section(data)]
    return write_report(data, out_dir or Layout(data_dir).reports,
                        [s for s in sections if s is not None])
