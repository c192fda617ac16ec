"""The A2C and DQN presets on CartPole-v1: steps to a 100-game mean of 475.

    .venv/bin/python bench/presets.py [--steps 100k] [--seeds 0]

Runs `esrl train a2c|dqn --env CartPole-v1 --steps STEPS --seed N` with no other flags
(the vector-env presets) and prints, per run, the first logged env step at which the
mean of the last 100 training games reached 475, that mean at the end, and DQN's last
evaluation (10 games at epsilon 0.01).
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from esrl.metrics import read_metrics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="100k")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for algo in ("a2c", "dqn"):
            for seed in args.seeds.split(","):
                out = Path(tmp) / f"{algo}-{seed}"
                command = [sys.executable, "-m", "esrl", "train", algo, "--env", "CartPole-v1"]
                command += ["--steps", args.steps, "--seed", seed, "--log-every", "5000"]
                subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
                records = read_metrics(out / "metrics.jsonl")
                reached = [r["env_steps"] for r in records if r["score_mean100"] >= 475]
                last = records[-1]
                print(
                    f"{algo} seed {seed}: 100-game mean >= 475 first at "
                    f"{f'{reached[0]:,}' if reached else 'never'} steps; at the end "
                    f"{last['score_mean100']:.1f} after {last['env_steps']:,} steps, "
                    f"{last['seconds']:.0f} s"
                    + (f"; last evaluation {last['eval_score']:.1f}" if algo == "dqn" else ""),
                    flush=True,
                )


if __name__ == "__main__":
    main()
