"""DQN on MsPacman: does learning per env step grow with the gradient steps per iteration?

    .venv/bin/python bench/dqn_replay_ratio.py [--ratios 1,8] [--seeds 0,1]
        [--seconds 300] [--device auto]

The 10M-step MsPacman run's settings (bench/dqn_atari.py's: 10 games x 10 steps per
iteration, batch 100, 10-step targets, soft target tau 0.01, 100k replay, `--pipeline`)
with 1 gradient step per iteration (replay ratio 1: each stored transition is drawn
about once) against more of them (8 steps of 100 per 100 transitions is SB3's ratio:
32 per 4). Epsilon reaches 0.01 after 100k steps so that short runs measure the
greedy-ish policy. Every (ratio, seed) trains at once, each for `--seconds` of
wall time; prints the mean of the last 100 training games at each env step that all
runs reached, and each run's steps/s.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from esrl.metrics import read_metrics

FLAGS = (
    "dqn --env MsPacman --frames nature --network nature --clip-rewards --reward-scale 1 "
    "--epsilon-schedule linear --epsilon-start 1 --epsilon-end 0.01 --epsilon-decay 1000 "
    "--eval-every 0 --pipeline --log-every 25000 --checkpoint-seconds 100000"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratios", default="1,8", help="gradient steps per iteration")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--seconds", type=float, default=300.0, help="training time per run")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    ratios = [int(r) for r in args.ratios.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for ratio in ratios:
            for seed in seeds:
                out = Path(tmp) / f"ratio{ratio}-seed{seed}"
                command = [sys.executable, "-m", "esrl", "train", *FLAGS.split()]
                command += ["--updates-per-iteration", str(ratio), "--seed", str(seed)]
                command += ["--max-seconds", str(args.seconds), "--device", args.device]
                command += ["--out", str(out)]
                with open(Path(tmp) / f"{out.name}.log", "w") as log:  # the child keeps it open
                    runs[ratio, seed] = out, subprocess.Popen(command, stdout=log, stderr=log)
        records = {}
        for key, (out, proc) in runs.items():
            if proc.wait() != 0:
                print(f"ratio {key[0]} seed {key[1]}: failed (exit {proc.returncode})")
                print((Path(tmp) / f"{out.name}.log").read_text()[-2000:])
                continue
            records[key] = {r["env_steps"]: r for r in read_metrics(out / "metrics.jsonl")}
    if not records:
        raise SystemExit("no run finished")
    common = sorted(set.intersection(*(set(r) for r in records.values())))
    header = "  ".join(f"ratio {r} seed {s}" for r, s in records)
    print(f"{'env steps':>10}  {header}   (mean of the last 100 training games)")
    for step in common:
        cells = "  ".join(f"{records[k][step]['score_mean100']:>14.1f}" for k in records)
        print(f"{step:>10,}  {cells}")
    for (ratio, seed), by_step in records.items():
        last = by_step[max(by_step)]
        print(
            f"ratio {ratio} seed {seed}: {last['env_steps']:,} steps, "
            f"{last['gradient_steps']:,} gradient steps, {last['steps_per_second']:,.0f} steps/s, "
            f"last 100 games {last['score_mean100']:.1f}"
        )


if __name__ == "__main__":
    main()
