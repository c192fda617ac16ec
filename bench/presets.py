"""The A2C and DQN presets on classic control: steps to the env's reward threshold.

    .venv/bin/python bench/presets.py [--envs CartPole-v1,Acrobot-v1,MountainCar-v0]
        [--algos a2c,dqn] [--steps N] [--seeds 0]

Runs `esrl train ALGO --env ENV --seed N` with no other flags (the env's preset and
its budget, or `--steps N` if given) and prints, per run, the first logged env step at
which the mean of the last 100 training games reached gymnasium's reward threshold for
the env (CartPole-v1 475, Acrobot-v1 -100, MountainCar-v0 -110), that mean at the end,
and DQN's last evaluation (10 games at epsilon 0.01).
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import gymnasium

from esrl.metrics import read_metrics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", default="CartPole-v1", help="comma-separated env ids")
    parser.add_argument("--algos", default="a2c,dqn", help="comma-separated: a2c, dqn")
    parser.add_argument("--steps", help="instead of the preset's budget")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--keep", help="keep the run directories under this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for env in args.envs.split(","):
            threshold = gymnasium.spec(env).reward_threshold
            for algo in args.algos.split(","):
                for seed in args.seeds.split(","):
                    out = root / f"{algo}-{env}-{seed}"
                    command = [sys.executable, "-m", "esrl", "train", algo, "--env", env]
                    command += ["--seed", seed, "--log-every", "5000"]
                    command += ["--steps", args.steps] if args.steps else []
                    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
                    records = read_metrics(out / "metrics.jsonl")
                    reached = [r["env_steps"] for r in records if r["score_mean100"] >= threshold]
                    last = records[-1]
                    evaluation = (
                        f"; last evaluation {last['eval_score']:.1f}" if algo == "dqn" else ""
                    )
                    print(
                        f"{algo} {env} seed {seed}: 100-game mean >= {threshold:g} first at "
                        f"{f'{reached[0]:,}' if reached else 'never'} steps; at the end "
                        f"{last['score_mean100']:.1f} after {last['env_steps']:,} steps, "
                        f"{last['seconds']:.0f} s{evaluation}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
