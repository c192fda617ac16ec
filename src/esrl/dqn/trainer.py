"""The DQN training loop: the pool plays, the replay memory fills, the agent learns from samples.

One iteration: every one of `nenvs` games plays `rollout_length` steps (epsilon-greedy),
the steps go into the replay memory, and once it holds `learning_starts`
transitions the agent takes `updates_per_iteration` gradient steps on random
n-step windows, each followed by a target-network update. Every `eval_every`
iterations a few whole games are played at `eval_epsilon` for the learning curve.
With `pipeline`, the gradient steps run on a worker thread during the next
iteration's play (`esrl.deeprl.pipeline.Learner`); evaluations then play the acting weights
too. `DQNRun` is one iteration per `iterate` of the run skeleton `esrl.runs.loop`.
"""

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from esrl.deeprl.env_batch import make_env_batch, play_games
from esrl.deeprl.networks import require_weights_finite
from esrl.deeprl.networks.bodies import device_of, observation_bounds
from esrl.deeprl.pipeline import Learner
from esrl.deeprl.resume import checkpoint_fits, resume_torch_run
from esrl.deeprl.run import LearnerRun
from esrl.deeprl.runner import EnvRunner
from esrl.dqn.agent import DQNAgent
from esrl.dqn.config import DQNConfig
from esrl.dqn.replay import ReplayBuffer
from esrl.envs.atari import AtariProtocol
from esrl.envs.vector import seed_from
from esrl.metrics.plots import plot_dqn_curves
from esrl.runs import (
    RunDir,
    load_checkpoint,
    save_checkpoint,
    save_torch_state,
)
from esrl.runs.loop import Diagnostics, Limits, TrainResult, run_loop
from esrl.threads import TorchThreads

ALGO = "dqn"
REPLAY_FILE = "replay.npz"


def make_env(config: DQNConfig, num_envs: int, training: bool = True):
    return make_env_batch(
        config.env,
        num_envs,
        training=training,
        frames=config.frames,
        clip_rewards=False,
        split=training and config.overlap,
    )


def build_agent(config: DQNConfig, env) -> DQNAgent:
    space = env.single_observation_space
    bounds = observation_bounds(space) if config.scale_obs else None
    return DQNAgent(config, int(env.single_action_space.n), space.shape, bounds)


def evaluate_agent(
    agent: DQNAgent,
    config: DQNConfig,
    games: int,
    seed: int,
    protocol: AtariProtocol | None = None,
) -> np.ndarray:
    """Raw scores of whole games at `eval_epsilon` (Atari: under `protocol`)."""
    agent.epsilon_override = config.eval_epsilon
    try:
        act = lambda obs: agent.act(obs)["actions"]  # noqa: E731
        return play_games(config.env, act, games, seed, frames=config.frames, protocol=protocol)
    finally:
        agent.epsilon_override = None


def train_dqn(
    config: DQNConfig, out: Path | str | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Start a new run in `out` (default: runs/dqn-ENV-seedN-TIME)."""
    config.validate()
    path = RunDir.new_path(out, ALGO, config.env, config.seed)
    env = make_env(config, config.nenvs)  # a clear error for a bad env before anything is written
    agent = build_agent(config, env)  # and for bad --scale-obs
    with RunDir.create(path, ALGO, config) as run:
        return run_loop(DQNRun(config, run, env, agent, None, log), run, log)


def resume_dqn(
    run_dir: Path | str, overrides: dict | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Continue a run from its checkpoint; the replay memory too if it was saved."""
    with resume_torch_run(run_dir, ALGO, DQNConfig, overrides, STATE_KEYS) as (run, config, state):
        env = make_env(config, config.nenvs)
        agent = build_agent(config, env)
        with checkpoint_fits(run):
            agent.load_state(state["agent"])
        run.write_config(ALGO, config)
        dqn = DQNRun(config, run, env, agent, state, log)
        return run_loop(dqn, run, log, resumed_seconds=state["seconds"])


STATE_KEYS = ("agent", "sample_rng", "env_steps", "seconds", "game_scores", "games", "eval_score")


def _restore_replay(run: RunDir, replay: ReplayBuffer, env_steps: int, log) -> None:
    path = run.path / REPLAY_FILE
    if not path.is_file():
        log("resuming without a saved replay memory: it fills again before learning resumes")
        return
    arrays, meta = load_checkpoint(path)
    if meta["env_steps"] != env_steps:
        log(f"{path} is from another checkpoint; starting with an empty replay memory")
        return
    replay.load_state(arrays)
    if replay.added:  # the interrupted games end at their last stored step
        replay.dones[(replay.added - 1) % replay.slots] = True


class DQNRun(LearnerRun):
    """One iteration of the pool per iteration: play, store, learn from replayed windows."""

    name = ALGO

    def __init__(
        self,
        config: DQNConfig,
        run: RunDir,
        env,
        agent: DQNAgent,
        state: dict | None,
        log: Callable[[str], None],
    ):
        self.config, self.env, self.agent = config, env, agent
        self.run_path, self.agent_path = run.path, run.agent_path
        self.limits = Limits(config.steps, config.max_seconds)
        self.log_every, self.checkpoint_seconds = config.log_every, config.checkpoint_seconds
        self.threads = TorchThreads()
        if config.threads:
            self.threads.set(config.threads)
        step_var = state["env_steps"] if state else 0
        self.runner = EnvRunner(
            env,
            agent,
            config.rollout_length,
            step_var=step_var,
            seed=seed_from(config.seed, step_var),
        )
        self.replay = ReplayBuffer(
            config.replay_size,
            config.nenvs,
            env.single_observation_space.shape,
            agent.online.pixels,
        )
        self.sample_rng = np.random.default_rng([config.seed, 1])
        self.eval_score, self.eval_seconds = math.nan, 0.0
        if state:
            self.runner.game_scores.extend(state["game_scores"])
            self.runner.games = state["games"]
            self.sample_rng.bit_generator.state = state["sample_rng"]
            self.eval_score = state["eval_score"]
            self.eval_seconds = state.get("eval_seconds", 0.0)
            if config.save_replay:
                _restore_replay(run, self.replay, step_var, log)
        self.learner = Learner(config.pipeline, sync=agent.sync_acting)
        self.starts = np.ones(config.nenvs, bool)  # the first observations start games

    @property
    def iterations(self) -> int:
        return self.agent.iteration

    def describe(self) -> str:
        config = self.config
        num_params = sum(p.numel() for p in self.agent.online.parameters())
        return (
            f"esrl dqn on {config.env}: {num_params} params, {config.nenvs} games x "
            f"{config.rollout_length} steps per iteration, replay {config.replay_size:,}, "
            f"on {device_of(self.agent.online)}"
        )

    def iterate(self) -> Diagnostics:
        config, agent, replay = self.config, self.agent, self.replay
        rollout = self.runner.get_next()
        for t in range(config.rollout_length):
            replay.add(
                rollout.observations[t],
                rollout.actions[t],
                rollout.rewards[t],
                rollout.resets[t],
                self.starts,
            )
            self.starts = rollout.game_over[t]
        diagnostics = [{"q_acting": float(torch.stack(rollout.extra["q_max"]).mean())}]
        agent.iteration += 1
        if len(replay) >= config.learning_starts and replay.can_sample(config.n_step_return):
            batches = [
                replay.sample(config.batch_size, config.n_step_return, self.sample_rng)
                for _ in range(config.updates_per_iteration)
            ]
            diagnostics += self.learner.learn(lambda: [agent.learn(batch) for batch in batches])
        if config.eval_every and agent.iteration % config.eval_every == 0:
            diagnostics += self.learner.wait()
            started = time.perf_counter()
            scores = evaluate_agent(agent, config, config.eval_games, agent.iteration)
            self.eval_score = float(scores.mean())
            self.eval_seconds += time.perf_counter() - started
        return diagnostics

    def record(self) -> dict:
        return {
            "iteration": self.agent.iteration,
            "gradient_steps": self.agent.gradient_steps,
            "eval_seconds": self.eval_seconds,
            "epsilon": self.agent.epsilon,
            "replay_size": len(self.replay),
            "score_mean100": self.score_mean100(),
            "games": self.runner.games,
            "eval_score": self.eval_score,
        }

    def format(self, r: dict) -> str:
        loss = f"  td loss {r['td_loss']:.4f}  q {r['q_mean']:6.2f}" if "td_loss" in r else ""
        return (
            f"steps {r['env_steps']:>11,}  iter {r['iteration']:7d}  eps {r['epsilon']:.3f}"
            f"  score(100) {r['score_mean100']:7.1f}  eval {r['eval_score']:7.1f}{loss}"
            f"  {r['steps_per_second']:5.0f} steps/s  {r['seconds']:7.1f} s"
        )

    def save(self, seconds: float) -> None:
        agent, runner = self.agent, self.runner
        require_weights_finite(agent.online, f"after {agent.gradient_steps:,} updates, a weight")
        if self.config.save_replay:  # first: an agent.pt never points past its replay memory
            arrays = {k: np.asarray(v) for k, v in self.replay.state().items()}
            save_checkpoint(self.run_path / REPLAY_FILE, arrays, {"env_steps": runner.step_var})
        save_torch_state(
            self.agent_path,
            {
                "agent": agent.state(),
                "sample_rng": self.sample_rng.bit_generator.state,
                "env_steps": runner.step_var,
                "seconds": seconds,
                "eval_seconds": self.eval_seconds,
                "game_scores": list(runner.game_scores),
                "games": runner.games,
                "eval_score": self.eval_score,
            },
        )

    def summary(self) -> str:
        scores = self.runner.game_scores
        return (
            f"last evaluation {self.eval_score:.1f}; mean of the last {len(scores)} training "
            f"games {self.score_mean100():.1f}"
        )

    def scores(self) -> dict[str, float]:
        return {
            "score_mean100": self.score_mean100(),
            "eval_score": self.eval_score,
            "eval_seconds": self.eval_seconds,
            "games": self.runner.games,
        }

    def plot(self, records: list[dict], path: Path) -> None:
        plot_curve(self.config, records, path)


def plot_curve(config: DQNConfig, records: list[dict], path: Path) -> None:
    plot_dqn_curves(records, path, f"DQN on {config.env} (seed {config.seed})")
