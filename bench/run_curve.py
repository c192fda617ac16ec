"""A run's training and evaluation scores against env steps, with dashed reference scores.

    .venv/bin/python bench/run_curve.py RUN_DIR OUT.png [--reference "SB3 DQN=2683" ...]

For docs/benchmarks.md: `esrl plot` draws a run's own diagnostics; this puts a long
run's scores beside the scores it is measured against (a peer library, a random policy).
"""

import argparse
import math
from pathlib import Path

from esrl.metrics import read_metrics


def reference(text: str) -> tuple[str, float]:
    name, _, value = text.rpartition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"expected NAME=SCORE, got {text!r}")
    return name, float(value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--reference", type=reference, action="append", default=[])
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    records = read_metrics(args.run_dir / "metrics.jsonl")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["env_steps"] / 1e6 for r in records]
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    ax.plot(steps, [r["score_mean100"] for r in records], lw=2, label="training, last 100 games")
    evals, previous = [], None  # each record repeats the last evaluation until the next one
    for step, record in zip(steps, records, strict=True):
        score = record.get("eval_score", math.nan)
        if not math.isnan(score) and score != previous:
            evals.append((step, score))
        previous = score
    if evals:
        ax.plot(*zip(*evals, strict=True), ".", alpha=0.6, label="the run's evaluations")
    for (name, value), color in zip(args.reference, ["tab:red", "gray", "tab:green"], strict=False):
        ax.axhline(value, color=color, ls="--", lw=1, label=f"{name} ({value:,g})")
    ax.set_xlabel("env steps (millions)")
    ax.set_ylabel("score (raw game points)")
    ax.set_title(args.title or args.run_dir.name)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(args.out, dpi=100)
    print(args.out)


if __name__ == "__main__":
    main()
