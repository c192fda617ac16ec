"""Milestones of a long A2C run, from its metrics file: how far, how good, how fast.

    .venv/bin/python bench/a2c_milestones.py docs/data/a2c-10M-run1/metrics.jsonl [--every 500k]
        [--losses]

A run toward the notebook's 10M steps takes hours and several resumes here, so its
record is the metrics file. Prints a row at each multiple of `--every` env steps and
at the last record: the mean raw score of the last 100 games, games played, entropy,
R^2, training hours (time the process ran, summed over resumes) and the steps/s since
the row before; then the speed over the last million steps and the time to 10M it implies.
With --losses, also the mean value loss, value target, advantage and gradient norm of
the records since the row before: where the value function falls behind its targets.
"""

import argparse
import json
from pathlib import Path

from esrl.cli.config_args import parse_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("--every", type=parse_count, default=500_000)
    parser.add_argument("--goal", type=parse_count, default=10_000_000)
    parser.add_argument("--losses", action="store_true", help="add loss columns")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.metrics.read_text().splitlines() if line]
    if not records:
        raise SystemExit(f"no records in {args.metrics}")
    losses = ("value_loss", "value_targets", "advantages", "grad_norm")
    extra = "  v.loss  target  advant.  g.norm" if args.losses else ""
    header = "steps (M)  score(100)  games  entropy     r2  training h"
    print(f"{header}{extra}  steps/s since the row before")
    previous = {"env_steps": 0, "seconds": 0.0}
    since: list[dict] = []
    for record in records:
        steps = record["env_steps"]
        since.append(record)
        if steps // args.every == previous["env_steps"] // args.every and record is not records[-1]:
            continue
        rate = (steps - previous["env_steps"]) / (record["seconds"] - previous["seconds"])
        means = [sum(r[key] for r in since) / len(since) for key in losses]
        extra = "  {:6.3f}  {:6.2f}  {:7.4f}  {:6.2f}".format(*means) if args.losses else ""
        print(
            f"{steps / 1e6:9.2f}  {record['score_mean100']:10.1f}  {record['games']:5d}"
            f"  {record['entropy']:7.2f}  {record['r2']:5.2f}  {record['seconds'] / 3600:10.2f}"
            f"{extra}  {rate:.0f}"
        )
        previous, since = record, []
    last = records[-1]
    earlier = [r for r in records if r["env_steps"] <= last["env_steps"] - 1_000_000]
    if earlier and last["env_steps"] < args.goal:
        rate = (last["env_steps"] - earlier[-1]["env_steps"]) / (
            last["seconds"] - earlier[-1]["seconds"]
        )
        left = (args.goal - last["env_steps"]) / rate / 3600
        print(
            f"last million steps at {rate:.0f} steps/s: {left:.1f} h more to {args.goal:,} steps, "
            f"{last['seconds'] / 3600 + left:.1f} h of training in all"
        )


if __name__ == "__main__":
    main()
