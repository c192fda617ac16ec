"""DQN on MsPacman: esrl against Stable-Baselines3's DQN at equal settings, and a random policy.

    .venv/bin/pip install -e '.[bench]'      # Stable-Baselines3 and OpenCV, only for this
    .venv/bin/python bench/dqn_atari.py [--steps 500k] [--out runs/dqn-bench]

Settings shared by both (where SB3 has them): 10 games, 84x84 DeepMind frames
(life loss = training terminal, clipped rewards), Nature-CNN Q-network, a step of
the pool every 10 steps of each game (100 transitions) and then 1 gradient step on
a batch of 100, 10-step Q-learning targets, gamma 0.99, Huber loss, Adam 1e-4,
grad clip 10, soft target update tau 0.01 after each gradient step, replay of
100k transitions, learning from 5k, epsilon linear from 1 to 0.01 over the first
10% of the budget, torch's default threads. SB3 runs its own Atari wrappers on a
DummyVecEnv (its default).

Prints: the random policy's mean raw score over 20 whole games; for each agent,
env steps/s, the mean of its last 100 training games and a greedy (epsilon 0.01)
evaluation over 10 whole games; the speed ratio; the time 10M steps would take here.
esrl's steps/s leave out the wall time of its periodic evaluation games (SB3 plays
none while learning); the figure with them is printed too. With `--pipeline`, esrl
takes each gradient step on a worker thread while the games play the next
iteration on the weights from before it (SB3 waits for the step; see
`DQNConfig.pipeline`).
"""

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
from versus_sb3 import plot_versus, run_side, sb3_curve_callback

ENV_ID = "MsPacmanNoFrameskip-v4"
NENVS, SEQ, BATCH, REPLAY, STARTS = 10, 10, 100, 100_000, 5_000


def random_scores(games: int) -> np.ndarray:
    from esrl.deeprl.env_batch import play_games

    rng = np.random.default_rng(0)
    return play_games(ENV_ID, lambda obs: rng.integers(0, 9, len(obs)), games, seed=0)


def run_esrl(steps: int, out: str, eval_games: int, pipeline: bool) -> dict:
    from esrl.dqn import DQNConfig, train_dqn
    from esrl.dqn.saved import evaluate_run
    from esrl.metrics import read_metrics

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    iterations = steps // (NENVS * SEQ)
    config = DQNConfig(
        env=ENV_ID,
        frames="nature",
        network="nature",
        nenvs=NENVS,
        rollout_length=SEQ,
        replay_size=REPLAY,
        learning_starts=STARTS,
        batch_size=BATCH,
        n_step_return=10,
        reward_scale=1.0,
        clip_rewards=True,
        epsilon_schedule="linear",
        epsilon_start=1.0,
        epsilon_end=0.01,
        epsilon_decay=max(iterations // 10, 1),
        eval_every=max(iterations // 10, 1),
        steps=steps,
        log_every=max(steps // 50, 1000),
        pipeline=pipeline,
    )
    result = train_dqn(config, out, log=print)
    records = read_metrics(out / "metrics.jsonl")
    scores = evaluate_run(out, eval_games, seed=1, log=print)
    training_seconds = result.seconds - result.scores["eval_seconds"]
    return {  # SB3 plays no evaluation games while it learns: compare training time alone
        "steps_per_second": result.env_steps / training_seconds,
        "seconds": training_seconds,
        "steps_per_second_with_evals": result.env_steps / result.seconds,
        "eval_seconds": result.scores["eval_seconds"],
        "train_mean100": result.scores["score_mean100"],
        "eval_mean": float(scores.mean()),
        "eval_std": float(scores.std()),
        "curve": [(r["env_steps"], r["score_mean100"]) for r in records],
    }


def run_sb3(steps: int, eval_games: int) -> dict:
    import ale_py
    import gymnasium as gym
    from stable_baselines3 import DQN
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)
    env = VecFrameStack(make_atari_env(ENV_ID, n_envs=NENVS, seed=0), n_stack=4)
    model = DQN(
        "CnnPolicy",
        env,
        learning_rate=1e-4,
        buffer_size=REPLAY,
        learning_starts=STARTS,
        batch_size=BATCH,
        tau=0.01,
        gamma=0.99,
        train_freq=SEQ,
        gradient_steps=1,
        n_steps=10,
        target_update_interval=NENVS * SEQ,  # SB3 counts it in transitions: once per train step
        exploration_fraction=0.1,
        exploration_initial_eps=1.0,
        exploration_final_eps=0.01,
        max_grad_norm=10,
        optimize_memory_usage=False,
        seed=0,
        device="cpu",
        verbose=0,
    )

    curve = sb3_curve_callback(max(steps // 50, 1000))
    start = time.perf_counter()
    model.learn(total_timesteps=steps, callback=curve)
    seconds = time.perf_counter() - start
    train = [info["r"] for info in model.ep_info_buffer]
    model.exploration_rate = 0.01
    eval_env = VecFrameStack(make_atari_env(ENV_ID, n_envs=1, seed=1), n_stack=4)
    # Monitor sits under the life-loss wrapper: with it, episodes are whole games
    scores, _ = evaluate_policy(
        model,
        eval_env,
        n_eval_episodes=eval_games,
        deterministic=False,
        return_episode_rewards=True,
    )
    env.close()
    eval_env.close()
    return {
        "steps_per_second": model.num_timesteps / seconds,
        "seconds": seconds,
        "train_mean100": float(np.mean(train)) if train else float("nan"),
        "eval_mean": float(np.mean(scores)),
        "eval_std": float(np.std(scores)),
        "curve": curve.points,
    }


def main() -> None:
    from esrl.cli.config_args import parse_count

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=parse_count, default=500_000)
    parser.add_argument("--out", default="runs/dqn-bench")
    parser.add_argument("--plot", default="docs/dqn_learning_curves.png")
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--only", choices=("esrl", "sb3"), help="run one side only")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="esrl learns on a worker thread while the games play on (acting one step behind)",
    )
    args = parser.parse_args()
    rand = random_scores(20)
    print(f"random policy: {rand.mean():.1f} +- {rand.std():.1f} over {len(rand)} whole games")
    results = {}
    if args.only != "sb3":
        results["esrl"] = run_side(
            "dqn_atari",
            "run_esrl",
            "esrl",
            steps=args.steps,
            out=args.out,
            eval_games=args.games,
            pipeline=args.pipeline,
        )
    if args.only != "esrl":
        results["sb3"] = run_side(
            "dqn_atari", "run_sb3", "sb3", steps=args.steps, eval_games=args.games
        )
    for name, r in results.items():
        print(
            f"{name}: {r['steps_per_second']:,.0f} steps/s over {r['seconds'] / 60:.1f} min; "
            f"last 100 training games {r['train_mean100']:.1f}; evaluation "
            f"{r['eval_mean']:.1f} +- {r['eval_std']:.1f} over {args.games} games "
            f"(random {rand.mean():.1f}); 10M steps would take "
            f"{1e7 / r['steps_per_second'] / 3600:.1f} h here"
        )
        if "eval_seconds" in r:
            print(
                f"{name}: plus {r['eval_seconds']:.0f} s of periodic evaluation games; "
                f"{r['steps_per_second_with_evals']:,.0f} steps/s counting them"
            )
    if len(results) == 2:
        ratio = results["esrl"]["steps_per_second"] / results["sb3"]["steps_per_second"]
        print(f"speed ratio esrl / sb3: {ratio:.2f}x (target >= 1.5x): {ratio >= 1.5}")
        plot_versus(
            results,
            Path(args.plot),
            f"DQN on MsPacman, {args.steps:,} steps, this machine",
            "env steps, all 10 games (millions)",
            "raw score, last 100 training games",
            baseline=("random policy", float(rand.mean())),
        )
        print(f"learning curves: {args.plot}")
    summary = {k: {kk: vv for kk, vv in v.items() if kk != "curve"} for k, v in results.items()}
    summary["random"] = {"mean": float(rand.mean()), "std": float(rand.std())}
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
