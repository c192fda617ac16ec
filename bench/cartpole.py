"""CartPole-v1 speed: time to solve with each backend, and ES overhead against the raw env.

    .venv/bin/python bench/cartpole.py [--seeds 5]

Prints, in one run:
  1. raw speed of gymnasium's vectorized CartPole with random actions at the task's batch size;
  2. for the serial and process backends and each seed: training wall time to solve (mean
     policy >= 475 over 100 episodes, confirmation included), env steps, and the wall time
     of the whole `esrl train es` command from process start;
  3. ES throughput during training (env steps per second of training), and the
     throughput of a solved policy (every member plays 500 steps), as ratios to (1).
A generation is one task on the serial backend and one per worker process.
"""

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import esrl
from esrl.configs import to_dict
from esrl.es.evaluation import Evaluator, plan_generation
from esrl.es.noise import NoiseTable


def raw_env_rate(num_envs: int, steps: int = 3000) -> float:
    env = gym.make_vec("CartPole-v1", num_envs=num_envs)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 2, size=(steps, num_envs))
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    return steps * num_envs / (time.perf_counter() - start)


def whole_command(seed: int, backend: str, out: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "esrl",
            "train",
            "es",
            "--seed",
            str(seed),
            "--backend",
            backend,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, result.stdout.strip().splitlines()[-1]


def solved_rate(config: esrl.ESConfig, solved_params: np.ndarray) -> tuple[float, int]:
    """Steps/s of a whole generation when no member finishes early: policy + env cost."""
    evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))
    tasks = plan_generation(0, np.zeros(config.pairs, np.int64), config.pairs, config.eval_episodes)
    evaluator.evaluate(solved_params, None, tasks[0])  # warm-up
    start = time.perf_counter()
    result = evaluator.evaluate(solved_params, None, tasks[0])
    return result.lengths.sum() / (time.perf_counter() - start), len(tasks[0].indices)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    config = esrl.ESConfig()
    batch = config.population + config.eval_episodes
    print(f"config: {to_dict(config)}")
    raw = raw_env_rate(batch)
    print(f"raw gymnasium CartPoleVectorEnv, {batch} envs, random actions: {raw:,.0f} steps/s")

    tmp = Path(tempfile.mkdtemp(prefix="esrl-bench-"))
    summary = {}
    for backend in ("serial", "process"):
        rows = []
        for seed in range(args.seeds):
            cfg = dataclasses.replace(config, seed=seed, backend=backend)
            r = esrl.train_es(cfg, tmp / f"{backend}-{seed}", log=lambda s: None)
            wall, last = whole_command(seed, backend, tmp / f"{backend}-{seed}-cli")
            rows.append((r.solved, r.seconds, r.env_steps, r.scores["final_return"], wall))
            print(
                f"{backend:7s} seed {seed}: solved={r.solved} train {r.seconds:.2f} s, "
                f"{r.env_steps:,} steps, {r.iterations} gens, "
                f"final {r.scores['final_return']:.1f}; "
                f"whole command {wall:.2f} s ({last})"
            )
        secs = [row[1] for row in rows]
        summary[backend] = {
            "all_solved": all(row[0] for row in rows),
            "median_train_s": statistics.median(secs),
            "max_train_s": max(secs),
            "median_steps": statistics.median(row[2] for row in rows),
            "median_command_s": statistics.median(row[4] for row in rows),
            "max_command_s": max(row[4] for row in rows),
            "train_steps_per_s": sum(row[2] for row in rows) / sum(secs),
        }
    solved = esrl.load_params(tmp / "serial-0")
    lock, lock_batch = solved_rate(config, solved)
    raw_lock = raw_env_rate(lock_batch)
    print()
    for backend, s in summary.items():
        print(
            f"{backend:7s}: all solved {s['all_solved']}, median train {s['median_train_s']:.2f} s "
            f"(max {s['max_train_s']:.2f}), median {s['median_steps']:,.0f} steps, whole command "
            f"median {s['median_command_s']:.2f} s (max {s['max_command_s']:.2f}); training "
            f"throughput {s['train_steps_per_s']:,.0f} episode steps/s "
            f"= {s['train_steps_per_s'] / raw:.0%} of raw"
        )
    print(
        f"solved policy ({lock_batch} members x 500 steps): {lock:,.0f} steps/s vs raw "
        f"{raw_lock:,.0f} at the same batch = {lock / raw_lock:.0%}"
    )


if __name__ == "__main__":
    main()
