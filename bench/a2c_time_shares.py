"""Where an A2C update's time goes, esrl against Stable-Baselines3 at equal settings.

    .venv/bin/python bench/a2c_time_shares.py [--steps 40k] [--seed 0]

Each side trains SpaceInvaders as bench/a2c_atari.py runs it, in its own process, with
timers around the calls both loops make for one update of 8 envs x 5 steps: acting (five
forwards over 8 frames), the bootstrap value of the last frames, the env (five batched
steps) and the update (a forward over the 40 rows with gradients, backward, clip,
RMSProp). "other" is the rest of the loop, each library's own Python.

Both sides run the same network on the same torch, so the network's time bounds the
speed ratio on a host: even with free emulation and no Python, esrl could not run faster
than SB3's time per update over esrl's network time per update. That bound moves with
the host (how fast its cores do convolutions against how fast they emulate), which is
why the 1.5x target is met on some hosts and not others.
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from a2c_atari import ENV_ID, make_sb3_a2c
from versus_sb3 import run_side

PARTS = ("acting", "bootstrap", "env", "update")
NETWORK = ("acting", "bootstrap", "update")


class Timers:
    """Seconds spent inside each wrapped call, summed over the run."""

    def __init__(self):
        self.seconds = dict.fromkeys(PARTS, 0.0)

    def wrap(self, part: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - start

        return timed

    def report(self, seconds: float, env_steps: int, updates: int) -> dict:
        """Milliseconds per update for each part and "other", and the loop's speed."""
        per_update = {part: 1000 * s / updates for part, s in self.seconds.items()}
        per_update["other"] = 1000 * seconds / updates - sum(per_update.values())
        return {"ms_per_update": per_update, "steps_per_second": env_steps / seconds}


def time_esrl(steps: int, seed: int) -> dict:
    from esrl.a2c import A2C, A2CConfig, Policy, train_a2c, trainer

    timers = Timers()
    Policy.act = timers.wrap("acting", Policy.act)
    Policy.values = timers.wrap("bootstrap", Policy.values)
    A2C.step = timers.wrap("update", A2C.step)
    make_env_batch = trainer.make_env_batch

    def timed_env(*args, **kwargs):
        env = make_env_batch(*args, **kwargs)
        env.step = timers.wrap("env", env.step)
        return env

    trainer.make_env_batch = timed_env
    config = A2CConfig(env=ENV_ID, nenvs=8, steps=steps, seed=seed, log_every=steps)
    with tempfile.TemporaryDirectory() as out:
        result = train_a2c(config, Path(out) / "run", log=lambda line: None)
    return timers.report(result.seconds, result.env_steps, result.updates)


def time_sb3(steps: int, seed: int) -> dict:
    model, env = make_sb3_a2c(seed)
    timers = Timers()
    model.policy.forward = timers.wrap("acting", model.policy.forward)
    model.policy.predict_values = timers.wrap("bootstrap", model.policy.predict_values)
    model.env.step = timers.wrap("env", model.env.step)
    model.train = timers.wrap("update", model.train)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    env.close()
    updates = model.num_timesteps // (model.n_envs * model.n_steps)
    return timers.report(seconds, model.num_timesteps, updates)


def main() -> None:
    from esrl.cli.config_args import parse_count

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=parse_count, default=40_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sides = {
        library: run_side("a2c_time_shares", f"time_{library}", library, **vars(args))
        for library in ("esrl", "sb3")
    }
    print(f"\nms per update of 8 envs x 5 steps ({args.steps:,} steps, seed {args.seed})")
    print(f"{'':10}" + "".join(f"{part:>11}" for part in (*PARTS, "other", "total")))
    for library, side in sides.items():
        parts = side["ms_per_update"]
        row = [parts[p] for p in (*PARTS, "other")]
        print(f"{library:10}" + "".join(f"{ms:11.1f}" for ms in row) + f"{sum(row):11.1f}")
    network = {k: sum(side["ms_per_update"][p] for p in NETWORK) for k, side in sides.items()}
    sb3_total = sum(sides["sb3"]["ms_per_update"].values())
    ratio = sides["esrl"]["steps_per_second"] / sides["sb3"]["steps_per_second"]
    print(
        f"network (acting + bootstrap + update): esrl {network['esrl']:.1f} ms, "
        f"SB3 {network['sb3']:.1f} ms ({network['sb3'] / network['esrl']:.2f}x)\n"
        f"steps/s: esrl {sides['esrl']['steps_per_second']:.0f}, "
        f"SB3 {sides['sb3']['steps_per_second']:.0f}, ratio {ratio:.2f}x\n"
        f"bound at equal network work (SB3's total over esrl's network): "
        f"{sb3_total / network['esrl']:.2f}x"
    )


if __name__ == "__main__":
    main()
