"""ES on Atari Pong against a random policy and against the raw emulator speed, in one run.

    .venv/bin/python bench/pong.py [--minutes 60] [--out runs/pong-bench] [--games 30]
        [--frame-skip N] [--episode-steps N] [--sticky-actions P] [--population N]
        [--learning-rate LR]   (instead of the preset's)
    .venv/bin/python bench/pong.py --evaluate RUN_DIR   (a) and (b) for a finished run

Scores are whole games under the standard protocol: sticky actions 0.25 and up to 30
no-op starts by ALE (`esrl.envs.atari.AtariProtocol`). Prints:
  (a) the random policy's mean and std score over the same number of games;
  (b) ES training (`esrl train es --env pong`, the tuned preset) for a fixed wall-time
      budget, then the trained mean policy's score over `--games` games;
  (c) training env frames/s against the raw AtariVectorEnv frame rate with random
      actions, at the number of envs of one training task and ALE's default threads,
      measured before and after training (the ratio uses their mean).
Then the targets: trained mean >= 0 (wins as many points as it loses); throughput
>= 80% of raw.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from esrl.envs.atari import AtariProtocol, make_atari, play_atari_games
from esrl.es.config import ESConfig
from esrl.es.saved import evaluate_run
from esrl.metrics import read_metrics

PROTOCOL = AtariProtocol()  # sticky actions 0.25, ALE's no-op starts, whole games


def random_games(games: int, frame_skip: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    act = lambda obs: rng.integers(0, 6, len(obs))  # noqa: E731 - Pong's six actions
    return play_atari_games("pong", act, games, 0, PROTOCOL, size=42, frameskip=frame_skip)


def raw_frame_rate(num_envs: int, frame_skip: int, seconds: float = 20.0) -> float:
    env = make_atari("pong", num_envs, size=42, frameskip=frame_skip)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.integers(0, env.num_actions, num_envs))
        steps += num_envs
    env.close()
    return steps * frame_skip / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--out", default="runs/pong-bench")
    parser.add_argument("--games", type=int, default=30)
    parser.add_argument("--evaluate", metavar="RUN_DIR", help="only (a) and (b) for this run")
    tunable = {
        "frame_skip": int,
        "episode_steps": int,
        "sticky_actions": float,
        "population": int,
        "learning_rate": float,
    }
    for key, kind in tunable.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=kind, help="instead of the preset's")
    args = parser.parse_args()
    overrides = {key: getattr(args, key) for key in tunable if getattr(args, key) is not None}
    config = ESConfig(env="pong", **overrides)
    task_envs = 2 * config.pairs_per_task + -(-config.eval_episodes // 2)

    print(f"protocol: {PROTOCOL}")
    random_scores = random_games(args.games, config.frame_skip)
    print(
        f"(a) random policy: {random_scores.mean():.2f} +- {random_scores.std():.2f} "
        f"over {len(random_scores)} games"
    )
    if args.evaluate:
        scores = evaluate_run(args.evaluate, args.games, seed=1, log=print, protocol=PROTOCOL)
        print(f"(b) {args.evaluate}: {scores.mean():.2f} +- {scores.std():.2f} {scores.tolist()}")
        return
    raw_before = raw_frame_rate(task_envs, config.frame_skip)
    print(f"(c) raw AtariVectorEnv: {raw_before:,.0f} frames/s at {task_envs} envs, random actions")

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "esrl", "train", "es", "--env", "pong", "--out", str(out)]
    command += ["--max-seconds", str(args.minutes * 60)]
    for key, value in overrides.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    print("(b) " + " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)
    raw_after = raw_frame_rate(task_envs, config.frame_skip)
    raw = (raw_before + raw_after) / 2
    print(f"(c) raw AtariVectorEnv after training: {raw_after:,.0f} frames/s; mean {raw:,.0f}")
    records = read_metrics(out / "metrics.jsonl")
    train_seconds = records[-1]["seconds"]
    steps = records[-1]["env_steps"]
    executed = sum(r["executed_steps"] for r in records)
    frames_per_second = executed * config.frame_skip / train_seconds
    scores = evaluate_run(out, args.games, seed=1, log=print, protocol=PROTOCOL)
    print(
        f"(b) trained mean policy after {train_seconds / 60:.1f} min, {len(records)} "
        f"generations, {steps:,} env steps: {scores.mean():.2f} +- {scores.std():.2f} "
        f"over {len(scores)} games {scores.tolist()}"
    )
    print(
        f"(c) training: {frames_per_second:,.0f} frames/s executed "
        f"({steps * config.frame_skip / train_seconds:,.0f} in unfinished games) = "
        f"{frames_per_second / raw:.0%} of raw"
    )
    print(f"target 1: trained mean {scores.mean():.2f} >= 0: {scores.mean() >= 0}")
    fast_enough = frames_per_second >= 0.8 * raw
    print(f"target 2: throughput {frames_per_second / raw:.0%} >= 80%: {fast_enough}")
    summary = {
        "random_mean": random_scores.mean(),
        "random_std": random_scores.std(),
        "trained_mean": scores.mean(),
        "trained_std": scores.std(),
        "trained_scores": scores.tolist(),
        "generations": len(records),
        "train_seconds": train_seconds,
        "raw_frames_per_second": raw,
        "raw_before": raw_before,
        "raw_after": raw_after,
        "train_frames_per_second": frames_per_second,
    }
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
