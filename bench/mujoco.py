"""ES on MuJoCo locomotion: time and env steps to each env's threshold, and ES speed
against the raw EnvPool rate.

    .venv/bin/python bench/mujoco.py [--envs HalfCheetah-v5,Hopper-v5] [--seeds 3]
                                     [--first-seed 0] [--max-minutes 30]
                                     [--out runs/bench-mujoco]

Prints, in one run, per env:
  1. EnvPool's raw rate with uniform random actions, as many envs and threads as
     training uses (the population plus the mean policy's episodes);
  2. per seed, the preset's run (`esrl train es --env ENV --seed S --max-seconds ...`):
     training seconds and env steps until the mean policy averaged the threshold over
     `target_episodes` episodes (the ARS paper's thresholds), or its best evaluation;
  3. the median over seeds, and the training rate (env steps per second of training)
     as a share of (1).
Extra arguments after `--` go to every `esrl train es` command.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from esrl.envs.episodes import default_threads
from esrl.es.config import ESConfig
from esrl.metrics import read_metrics


def raw_rate(env_id: str, num_envs: int, seconds: float = 10.0) -> float:
    """Env steps per second of EnvPool alone, random actions, synchronous batches."""
    import envpool

    env = envpool.make_gymnasium(
        env_id, num_envs=num_envs, num_threads=min(default_threads(), num_envs), seed=0
    )
    env.reset()
    space = env.action_space
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.uniform(space.low, space.high, (num_envs, *space.shape)).astype(np.float32))
        steps += num_envs
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


def train(env_id: str, seed: int, minutes: float, out: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "esrl", "train", "es", "--env", env_id, "--seed", str(seed)]
    command += ["--max-seconds", str(minutes * 60), "--out", str(out), *extra]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    records = read_metrics(out / "metrics.jsonl")
    last = records[-1]  # a solved run stops at the generation that confirmed the target
    best = max(records, key=lambda r: r["eval_return"])
    return {
        "solved": "stopped: solved" in result.stdout,
        "seconds": last["seconds"],
        "env_steps": last["env_steps"],
        "train_rate": last["env_steps"] / last["seconds"],
        "best_eval": best["eval_return"],
        "best_at": best["seconds"],
        "final": result.stdout.strip().splitlines()[-1],
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default="HalfCheetah-v5,Hopper-v5,Walker2d-v5,Ant-v5")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed, ...")
    parser.add_argument("--max-minutes", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-mujoco"))
    parser.add_argument("extra", nargs="*", help="after --: flags for every esrl train es")
    args = parser.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for env_id in args.envs.split(","):
        config = ESConfig(env=env_id)
        envs = config.population + config.eval_episodes
        raw = raw_rate(env_id, envs)
        print(
            f"{env_id}: target {config.target_return:g} over {config.target_episodes} "
            f"episodes; raw EnvPool {raw:,.0f} steps/s ({envs} envs, random actions)"
        )
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            out = args.out / f"{env_id}-seed{seed}-{stamp}"
            run = train(env_id, seed, args.max_minutes, out, args.extra)
            runs.append(run)
            status = "reached" if run["solved"] else "not reached"
            print(
                f"  seed {seed}: {status} after {run['seconds']:7.1f} s, "
                f"{run['env_steps']:>11,} env steps; best eval {run['best_eval']:8.1f} at "
                f"{run['best_at']:.0f} s; training {run['train_rate']:,.0f} steps/s "
                f"({run['train_rate'] / raw:.0%} of raw); {run['final']}"
            )
        solved = [r for r in runs if r["solved"]]
        rate = statistics.median(r["train_rate"] for r in runs)
        if len(solved) * 2 > len(runs):
            times = [r["seconds"] if r["solved"] else float("inf") for r in runs]
            steps = [r["env_steps"] if r["solved"] else float("inf") for r in runs]
            print(
                f"  median: {statistics.median(times):.0f} s, "
                f"{statistics.median(steps):,.0f} env steps to {config.target_return:g} "
                f"({len(solved)}/{len(runs)} seeds reached it)"
            )
        else:
            print(f"  median: not reached within {args.max_minutes:g} min ({len(solved)} seeds)")
        print(f"  training rate {rate:,.0f} steps/s = {rate / raw:.0%} of raw EnvPool")


if __name__ == "__main__":
    main()
