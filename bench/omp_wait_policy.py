"""Which OpenMP wait policy is faster on this host: torch's threads sleeping or spinning.

    .venv/bin/python bench/omp_wait_policy.py a2c [--seconds 60] [--rounds 3]
    .venv/bin/python bench/omp_wait_policy.py dqn
    .venv/bin/python bench/omp_wait_policy.py es-pong
    .venv/bin/python bench/omp_wait_policy.py a2c --pipeline   # other options go to the command
    .venv/bin/python bench/omp_wait_policy.py a2c --policies PASSIVE,ACTIVE,default

`import esrl` sets `OMP_WAIT_POLICY=PASSIVE` unless it is set already: idle OpenMP
threads sleep instead of spinning on the cores ALE's emulator threads need. On the
first 2-core hosts measured that made A2C and DQN about 10% faster; on one
AVX-512 host spinning (`ACTIVE`) made A2C about 20% faster instead. libgomp reads the
variable once, when torch loads, so the two cannot be compared inside one process:
this script trains the algorithm's default command in fresh processes, alternating
the policies (PASSIVE and ACTIVE unless `--policies` names others), for a fixed
wall time each, and prints each run's training speed
(env steps/s after the first record, so start-up and, for DQN, the replay warm-up are
left out) and the ratio of the medians.

`default` is what torch does when nobody sets the variable, as SB3 runs: spin about
300,000 times, then sleep. esrl's import would turn an unset variable into PASSIVE,
so that arm sets PASSIVE with `GOMP_SPINCOUNT=300000`, which libgomp documents as
overriding the policy's spin count (300,000 is its count for an unset policy).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from esrl.metrics.log import read_metrics

COMMANDS = {
    "a2c": ["train", "a2c", "--env", "SpaceInvaders", "--steps", "10M", "--log-every", "8k"],
    # no evaluations inside the window; records start once learning has run a while
    "dqn": ["train", "dqn", "--steps", "10M", "--eval-every", "0", "--log-every", "5k"],
    "es-pong": ["train", "es", "--env", "pong", "--generations", "100000"],
}
# what each arm sets; libgomp reads both variables once, when torch loads
POLICIES = {
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    "default": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300000"},
}
# ES Pong records one line per generation; A2C and DQN every --log-every steps
WARMUP_STEPS = {"a2c": 1, "dqn": 10_000, "es-pong": 1}


def training_speed(records: list[dict], warmup_steps: int) -> float:
    """Env steps per second between the first record past the warm-up and the last."""
    past = [r for r in records if r["env_steps"] >= warmup_steps]
    if len(past) < 2:
        raise SystemExit("too few metrics records: give the runs more --seconds")
    first, last = past[0], past[-1]
    return (last["env_steps"] - first["env_steps"]) / (last["seconds"] - first["seconds"])


def run_once(algorithm: str, policy: str, seconds: float, out: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "esrl", *COMMANDS[algorithm], *extra]
    command += ["--seed", "0", "--max-seconds", str(seconds), "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    env.update(POLICIES[policy])
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return training_speed(read_metrics(out / "metrics.jsonl"), WARMUP_STEPS[algorithm])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("algorithm", choices=sorted(COMMANDS))
    parser.add_argument("--seconds", type=float, default=60.0, help="training time per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per policy")
    parser.add_argument(
        "--policies",
        type=_policies,
        default="PASSIVE,ACTIVE",
        help=f"comma-separated, the first is the reference; of {', '.join(POLICIES)}",
    )
    args, extra = parser.parse_known_args()  # the rest goes to the training command

    speeds: dict[str, list[float]] = {policy: [] for policy in args.policies}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.rounds):
            for policy in speeds:
                out = Path(scratch) / f"{policy}-{round_index}"
                speed = run_once(args.algorithm, policy, args.seconds, out, extra)
                speeds[policy].append(speed)
                line = f"round {round_index + 1}  {policy:7s}  {speed:8,.0f} env steps/s"
                print(line, flush=True)
    medians = {policy: statistics.median(runs) for policy, runs in speeds.items()}
    reference, *others = args.policies
    name = " ".join([args.algorithm, *extra])
    listed = ", ".join(f"{policy} {speed:,.0f}" for policy, speed in medians.items())
    ratios = "; ".join(f"{p}/{reference} = {medians[p] / medians[reference]:.2f}" for p in others)
    print(f"{name}: median env steps/s {listed}; {ratios}")


def _policies(text: str) -> list[str]:
    policies = [name.strip() for name in text.split(",")]
    unknown = [name for name in policies if name not in POLICIES]
    if unknown or len(set(policies)) != len(policies) or len(policies) < 2:
        raise argparse.ArgumentTypeError(f"two or more, each once, of {', '.join(POLICIES)}")
    return policies


if __name__ == "__main__":
    main()
