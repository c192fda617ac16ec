"""A2C on SpaceInvaders: esrl against Stable-Baselines3's A2C, same settings and budget, one run.

    .venv/bin/pip install -e '.[bench]'      # Stable-Baselines3 and OpenCV, only for this
    .venv/bin/python bench/a2c_atari.py [--steps 1M] [--out runs/a2c-bench]

Both: 8 envs, DeepMind preprocessing (30 no-op starts, frame skip 4 with max-pool,
life loss = training terminal, fire on reset, 84x84 gray, 4 frames, clipped
rewards), Nature-CNN actor-critic, n_steps 5, gamma 0.99, RMSProp (PyTorch
semantics; `--rmsprop tf`: TensorFlow 1's on both sides, SB3's `RMSpropTFLike`)
lr 7e-4 decayed linearly to 0 over the budget, alpha 0.99, eps 1e-5,
value coef 0.25, entropy coef 0.01, grad clip 0.5, torch's default threads.
SB3 runs its own Atari wrappers on a DummyVecEnv (its default).

Prints agent steps/s (interactions with all envs per second of training) and the
mean raw score of the last 100 whole games for each, the speed ratio, the time
10M steps would take here, and writes both learning curves to a PNG. With
`--data FOLDER` it also keeps the curves as FOLDER/seedN.json, which
`bench/a2c_seeds.py` compares over seeds (one seed is not enough to rank them).
"""

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
from versus_sb3 import plot_versus, run_side, sb3_curve_callback

ENV_ID = "SpaceInvadersNoFrameskip-v4"


def run_esrl(
    steps: int,
    out: str,
    log_every: int,
    seed: int,
    pipeline: bool = False,
    rmsprop: str = "torch",
    pipeline_ratio: str = "truncated",
    threads: int = 0,
) -> dict:
    from esrl.a2c import A2CConfig, train_a2c
    from esrl.metrics import read_metrics

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    config = A2CConfig(
        env=ENV_ID,
        nenvs=8,
        steps=steps,
        log_every=log_every,
        seed=seed,
        pipeline=pipeline,
        rmsprop=rmsprop,
        pipeline_ratio=pipeline_ratio,
        threads=threads,
    )
    result = train_a2c(config, out, log=print)
    records = read_metrics(out / "metrics.jsonl")
    return {
        "steps_per_second": result.env_steps / result.seconds,
        "seconds": result.seconds,
        "score_mean100": result.scores["score_mean100"],
        "games": result.scores["games"],
        "curve": [(r["env_steps"], r["score_mean100"]) for r in records],
    }


def make_sb3_a2c(seed: int, rmsprop: str = "torch"):
    """SB3's A2C at esrl's settings (its learning rate decays over what `learn` is given)
    and its env; refuses to go on unless SB3's optimizer is the one esrl uses."""
    import ale_py
    import gymnasium as gym
    import torch
    from stable_baselines3 import A2C
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.sb2_compat.rmsprop_tf_like import RMSpropTFLike
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)
    rule = RMSpropTFLike if rmsprop == "tf" else torch.optim.RMSprop
    # naming optimizer_class makes SB3 drop its own eps 1e-5 and alpha, so pass them too
    named = {"optimizer_class": rule, "optimizer_kwargs": {"alpha": 0.99, "eps": 1e-5}}
    env = VecFrameStack(make_atari_env(ENV_ID, n_envs=8, seed=seed), n_stack=4)
    model = A2C(
        "CnnPolicy",
        env,
        learning_rate=lambda remaining: 7e-4 * remaining,
        n_steps=5,
        gamma=0.99,
        gae_lambda=1.0,
        ent_coef=0.01,
        vf_coef=0.25,
        max_grad_norm=0.5,
        rms_prop_eps=1e-5,
        use_rms_prop=True,  # torch's RMSprop unless policy_kwargs names another
        policy_kwargs=named if rmsprop == "tf" else None,
        seed=seed,
        device="cpu",
        verbose=0,
    )

    optimizer = model.policy.optimizer
    settings = type(optimizer), optimizer.defaults["alpha"], optimizer.defaults["eps"]
    if settings != (rule, 0.99, 1e-5):
        raise RuntimeError(f"SB3's optimizer is not the one esrl uses: {optimizer}")
    return model, env


def run_sb3(steps: int, log_every: int, seed: int, rmsprop: str = "torch") -> dict:
    model, env = make_sb3_a2c(seed, rmsprop)
    curve = sb3_curve_callback(log_every)
    start = time.perf_counter()
    model.learn(total_timesteps=steps, callback=curve)
    seconds = time.perf_counter() - start
    scores = [info["r"] for info in model.ep_info_buffer]
    env.close()
    return {
        "steps_per_second": model.num_timesteps / seconds,
        "seconds": seconds,
        "score_mean100": float(np.mean(scores)) if scores else float("nan"),
        "games": None,
        "curve": curve.points,
    }


def main() -> None:
    from esrl.cli.config_args import parse_count

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=parse_count, default=1_000_000)
    parser.add_argument("--out", default="runs/a2c-bench")
    parser.add_argument("--plot", default="docs/a2c_learning_curves.png")
    parser.add_argument("--only", choices=("esrl", "sb3"), help="run one side only")
    parser.add_argument("--seed", type=int, default=0, help="seed of both sides")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="esrl learns on a worker thread, acting one update behind (not SB3's schedule)",
    )
    parser.add_argument(
        "--pipeline-ratio",
        choices=("truncated", "full"),
        default="truncated",
        help="with --pipeline: esrl's policy loss weighted by min(pi/mu, 1) or by pi/mu",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="esrl's torch threads, with --pipeline the learner's (0: torch's default)",
    )
    parser.add_argument(
        "--rmsprop",
        choices=("torch", "tf"),
        default="torch",
        help="RMSProp semantics of both sides: PyTorch's, or TensorFlow 1's (SB3's RMSpropTFLike)",
    )
    parser.add_argument(
        "--data", type=Path, help="folder for seedN.json, the sides' curves (see a2c_seeds.py)"
    )
    args = parser.parse_args()
    log_every = max(args.steps // 50, 1000)
    results = {}
    if args.only != "sb3":
        results["esrl"] = run_side(
            "a2c_atari",
            "run_esrl",
            "esrl",
            steps=args.steps,
            out=args.out,
            log_every=log_every,
            seed=args.seed,
            pipeline=args.pipeline,
            rmsprop=args.rmsprop,
            pipeline_ratio=args.pipeline_ratio,
            threads=args.threads,
        )
    if args.only != "esrl":
        results["sb3"] = run_side(
            "a2c_atari",
            "run_sb3",
            "sb3",
            steps=args.steps,
            log_every=log_every,
            seed=args.seed,
            rmsprop=args.rmsprop,
        )
    for name, r in results.items():
        print(
            f"{name}: {r['steps_per_second']:,.0f} steps/s over {r['seconds'] / 60:.1f} min; "
            f"mean raw score of the last 100 games {r['score_mean100']:.1f}; "
            f"10M steps would take {1e7 / r['steps_per_second'] / 3600:.1f} h here"
        )
    if len(results) == 2:
        ratio = results["esrl"]["steps_per_second"] / results["sb3"]["steps_per_second"]
        print(f"speed ratio esrl / sb3: {ratio:.2f}x (target >= 1.5x): {ratio >= 1.5}")
    if args.data:  # one file per seed; a side run alone replaces only that side
        path = args.data / f"seed{args.seed}.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        args.data.mkdir(parents=True, exist_ok=True)
        results = {**saved, **results, "seed": args.seed, "steps": args.steps}
        path.write_text(json.dumps(results))
        print(f"curves of seed {args.seed}: {path}")
    if "esrl" in results and "sb3" in results:  # this run's, or with --data the seed's
        plot_versus(
            {side: results[side] for side in ("esrl", "sb3")},
            Path(args.plot),
            f"A2C on SpaceInvaders, {args.steps:,} steps, seed {args.seed}, this machine",
            "env steps, all 8 envs (millions)",
            "raw score, mean of last 100 games",
        )
        print(f"learning curves: {args.plot}")
    summary = {
        side: {key: value for key, value in results[side].items() if key != "curve"}
        for side in ("esrl", "sb3")
        if side in results
    }
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
