"""`--device cpu` against `--device cuda`: the same short run of each torch learner.

    .venv/bin/python bench/device.py [--steps-a2c 100k] [--steps-dqn 50k] [--generations 6]

Runs, once per device, in fresh processes:
  - A2C on SpaceInvaders (the notebook's settings: 8 games, 5-step rollouts);
  - DQN on MsPacman with `--pipeline`, 84x84 frames and the Nature CNN (bench/dqn_atari.py's
    network), learning from 5k steps;
  - ES on Pong (the preset: every core plays, each worker runs its members' CNN).
Prints env steps/s of each between the run's first and last metrics record (start-up,
DQN's first 5k steps without learning and ES's first generation left out) and the
CUDA/CPU ratio. Needs a CUDA device for the second column.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from esrl.cli.config_args import parse_count
from esrl.metrics import read_metrics


def runs(args: argparse.Namespace) -> dict[str, list[str]]:
    a2c, dqn, log = args.steps_a2c, args.steps_dqn, args.steps_a2c // 5
    return {
        "A2C SpaceInvaders": f"a2c --env SpaceInvaders --steps {a2c} --log-every {log}".split(),
        "DQN MsPacman --pipeline": (
            f"dqn --env MsPacman --steps {dqn} --frames nature --network nature --pipeline "
            "--eval-every 0 --learning-starts 5000 --log-every 5000"
        ).split(),
        "ES Pong": f"es --env Pong --generations {args.generations}".split(),
    }


def steps_per_second(run_dir: Path) -> float:
    records = read_metrics(run_dir / "metrics.jsonl")
    first, last = records[0], records[-1]
    return (last["env_steps"] - first["env_steps"]) / (last["seconds"] - first["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps-a2c", type=parse_count, default=100_000)
    parser.add_argument("--steps-dqn", type=parse_count, default=50_000)
    parser.add_argument("--generations", type=int, default=6, help="ES Pong generations")
    parser.add_argument("--only", help="comma-separated: a2c, dqn, es")
    args = parser.parse_args()
    import torch

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, GPU: {gpu}", flush=True)
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in runs(args).items():
            if args.only and flags[0] not in args.only.split(","):
                continue
            rates = {}
            for device in devices:
                out = Path(tmp) / f"{flags[0]}-{device}"
                command = [sys.executable, "-m", "esrl", "train", *flags, "--device", device]
                done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{name} on {device}: failed\n{done.stderr[-2000:]}", flush=True)
                    continue
                rates[device] = steps_per_second(out)
            figures = ", ".join(f"{d} {r:,.0f} steps/s" for d, r in rates.items())
            ratio = f"; cuda/cpu {rates['cuda'] / rates['cpu']:.2f}x" if len(rates) == 2 else ""
            print(f"{name}: {figures}{ratio}", flush=True)


if __name__ == "__main__":
    main()
