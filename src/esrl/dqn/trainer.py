"""The DQN training loop: the pool plays, the replay memory fills, the agent learns from samples.

One iteration: every one of `nenvs` games plays `seq_length` steps (epsilon-greedy),
the steps go into the replay memory, and once it holds `learning_starts`
transitions the agent takes `updates_per_iteration` gradient steps on random
n-step windows, each followed by a target-network update. Every `eval_every`
iterations a few whole games are played at `eval_epsilon` for the learning curve.
With `pipeline`, the gradient steps run on a worker thread during the next
iteration's play (see `Learner`); evaluations then play the acting weights too.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from esrl.configs import with_resume_overrides
from esrl.dqn.agent import DQNAgent
from esrl.dqn.config import DQNConfig
from esrl.dqn.replay import ReplayBuffer
from esrl.envs.batch import make_env_batch, play_games
from esrl.envs.runner import EnvRunner
from esrl.envs.vector import seed_from
from esrl.errors import UserError
from esrl.metrics import MetricsLog, read_metrics
from esrl.metrics.plots import plot_dqn_curves
from esrl.networks import require_weights_finite
from esrl.pipeline import LearnerThread
from esrl.runs import (
    RunDir,
    StopOnSigterm,
    budget_progress,
    budget_stop_reason,
    load_checkpoint,
    load_torch_state,
    refuse_resume_past,
    save_checkpoint,
    save_torch_state,
)

ALGO = "dqn"
REPLAY_FILE = "replay.npz"


@dataclass
class TrainResult:
    run_dir: Path
    env_steps: int
    iterations: int
    seconds: float
    eval_seconds: float  # the part of `seconds` spent in periodic evaluation games
    score_mean100: float  # training games (epsilon-greedy), last 100
    eval_score: float  # the last evaluation's mean (NaN if none)
    games: int
    stop_reason: str  # "step limit", "time limit" or "SIGTERM"


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
    return DQNAgent(config, int(env.single_action_space.n), env.single_observation_space.shape)


def evaluate_agent(agent: DQNAgent, config: DQNConfig, games: int, seed: int) -> np.ndarray:
    """Raw scores of whole games at `eval_epsilon`."""
    agent.epsilon_override = config.eval_epsilon
    try:
        return play_games(
            config.env, lambda obs: agent.act(obs)["actions"], games, seed, frames=config.frames
        )
    finally:
        agent.epsilon_override = None


def train_dqn(
    config: DQNConfig, out: Path | str | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Start a new run in `out` (default: runs/dqn-ENV-seedN-TIME)."""
    config.validate()
    path = out or RunDir.default_path(ALGO, config.env, config.seed)
    RunDir.check_new(path)
    env = make_env(config, config.nenvs)  # a clear error for a bad env before anything is written
    with RunDir.create(path, ALGO, config) as run:
        return _run(config, run, env, build_agent(config, env), state=None, log=log)


def resume_dqn(
    run_dir: Path | str, overrides: dict | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Continue a run from its checkpoint; the replay memory too if it was saved."""
    with RunDir.open(run_dir).open_to_resume() as run:
        config = with_resume_overrides(run.read_config(ALGO, DQNConfig), overrides or {}, run.path)
        config.validate()
        state = load_torch_state(run.agent_path, STATE_KEYS)
        refuse_resume_past(
            run.path,
            budget_stop_reason(
                state["env_steps"], config.steps, state["seconds"], config.max_seconds
            ),
        )
        env = make_env(config, config.nenvs)
        agent = build_agent(config, env)
        try:
            agent.load_state(state["agent"])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"checkpoint in {run.path} does not fit its config ({exc})") from None
        run.write_config(ALGO, config)
        return _run(config, run, env, agent, state=state, log=log)


STATE_KEYS = ("agent", "sample_rng", "env_steps", "seconds", "game_scores", "games", "eval_score")


def _save(
    run, config, agent, runner, replay, sample_rng, seconds, eval_seconds, eval_score
) -> None:
    require_weights_finite(
        agent.online, f"after {agent.gradient_steps:,} updates, a network weight"
    )
    if config.save_replay:  # first, so an agent.pt never points past the replay it goes with
        arrays = {k: np.asarray(v) for k, v in replay.state().items()}
        save_checkpoint(run.path / REPLAY_FILE, arrays, {"env_steps": runner.step_var})
    save_torch_state(
        run.agent_path,
        {
            "agent": agent.state(),
            "sample_rng": sample_rng.bit_generator.state,
            "env_steps": runner.step_var,
            "seconds": seconds,
            "eval_seconds": eval_seconds,
            "game_scores": list(runner.game_scores),
            "games": runner.games,
            "eval_score": eval_score,
        },
    )


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


class Learner:
    """Takes the agent's gradient steps, in line or (`background`) on a worker thread.

    In the background, `learn` hands the steps to the thread and returns at once, so
    they run while the pool plays the next iteration; the pool acts meanwhile on a
    copy of the weights from before those steps (`DQNAgent.sync_acting`), so which
    weights play which step does not depend on thread timing. `learn` and `wait`
    return the diagnostics of the steps finished since the last call; `wait` finishes
    any steps still running first (before evaluating, logging or saving).
    """

    def __init__(self, agent: DQNAgent, background: bool):
        self.agent = agent
        self.thread = LearnerThread(background)

    def learn(self, batches: list[dict[str, np.ndarray]]) -> list[dict[str, float]]:
        finished = self.thread.wait()
        self.agent.sync_acting()
        self.thread.start(lambda: [self.agent.learn(batch) for batch in batches])
        return finished

    def wait(self) -> list[dict[str, float]]:
        return self.thread.wait()

    def close(self) -> None:
        self.thread.close()


def _run(config, run, env, agent: DQNAgent, state: dict | None, log) -> TrainResult:
    if config.threads:
        torch.set_num_threads(config.threads)
    step_var = state["env_steps"] if state else 0
    runner = EnvRunner(
        env, agent, config.seq_length, step_var=step_var, seed=seed_from(config.seed, step_var)
    )
    replay = ReplayBuffer(
        config.replay_size, config.nenvs, env.single_observation_space.shape, agent.online.pixels
    )
    sample_rng = np.random.default_rng([config.seed, 1])
    eval_score = math.nan
    if state:
        runner.game_scores.extend(state["game_scores"])
        runner.games = state["games"]
        sample_rng.bit_generator.state = state["sample_rng"]
        eval_score = state["eval_score"]
        if config.save_replay:
            _restore_replay(run, replay, step_var, log)
    metrics = MetricsLog(
        run.metrics_path,
        run.tensorboard_dir,
        step_key="env_steps",
        resume_from=("env_steps", step_var + 1) if state else None,
    )
    num_params = sum(p.numel() for p in agent.online.parameters())
    log(
        f"esrl dqn on {config.env}: {num_params} params, {config.nenvs} games x "
        f"{config.seq_length} steps per iteration, replay {config.replay_size:,}, "
        f"run dir {run.path}"
    )
    learner = Learner(agent, background=config.pipeline)
    starts = np.ones(config.nenvs, bool)  # the first observations start games
    started = time.perf_counter() - (state["seconds"] if state else 0.0)
    last_save = time.perf_counter()
    window: list[dict[str, float]] = []
    acted_q: list[float] = []
    window_start, window_steps = time.perf_counter(), runner.step_var
    stop_reason, seconds = "", 0.0
    eval_seconds = state.get("eval_seconds", 0.0) if state else 0.0
    sigterm = StopOnSigterm()
    try:
        if not state:  # resumable from the start: never a dead run dir
            _save(run, config, agent, runner, replay, sample_rng, 0.0, 0.0, eval_score)
        while not stop_reason:
            trajectory = runner.get_next()
            for t in range(config.seq_length):
                replay.add(
                    trajectory["observations"][t],
                    trajectory["actions"][t],
                    trajectory["rewards"][t],
                    trajectory["resets"][t],
                    starts,
                )
                starts = trajectory["game_over"][t]
            acted_q.append(float(torch.stack(trajectory["q_max"]).mean()))
            agent.iteration += 1
            if len(replay) >= config.learning_starts and replay.can_sample(config.n_steps):
                batches = [
                    replay.sample(config.batch_size, config.n_steps, sample_rng)
                    for _ in range(config.updates_per_iteration)
                ]
                window.extend(learner.learn(batches))
            if config.eval_every and agent.iteration % config.eval_every == 0:
                window.extend(learner.wait())
                eval_started = time.perf_counter()
                scores = evaluate_agent(agent, config, config.eval_games, agent.iteration)
                eval_score = float(scores.mean())
                eval_seconds += time.perf_counter() - eval_started
            seconds = time.perf_counter() - started
            stop_reason = (
                budget_stop_reason(runner.step_var, config.steps, seconds, config.max_seconds)
                or sigterm.reason
            )
            if runner.step_var - window_steps >= config.log_every or stop_reason:
                window.extend(learner.wait())
                now = time.perf_counter()
                learned = (
                    {k: float(np.mean([d[k] for d in window])) for k in window[0]} if window else {}
                )
                record = {
                    "env_steps": runner.step_var,
                    "iteration": agent.iteration,
                    "gradient_steps": agent.gradient_steps,
                    "seconds": seconds,
                    "eval_seconds": eval_seconds,
                    "steps_per_second": (runner.step_var - window_steps) / (now - window_start),
                    "epsilon": agent.epsilon,
                    "replay_size": len(replay),
                    "score_mean100": _mean(runner.game_scores),
                    "games": runner.games,
                    "eval_score": eval_score,
                    "q_acting": float(np.mean(acted_q)),
                    **learned,
                }
                metrics.write(record)
                log(_format(record, config))
                window, acted_q, window_start, window_steps = [], [], now, runner.step_var
            if time.perf_counter() - last_save >= config.checkpoint_seconds or stop_reason:
                window.extend(learner.wait())
                _save(
                    run,
                    config,
                    agent,
                    runner,
                    replay,
                    sample_rng,
                    seconds,
                    eval_seconds,
                    eval_score,
                )
                last_save = time.perf_counter()
    finally:
        sigterm.close()
        learner.close()
        metrics.close()
        env.close()
    plot_dqn_curves(
        read_metrics(run.metrics_path), run.curve_path, f"DQN on {config.env} (seed {config.seed})"
    )
    log(
        f"stopped: {stop_reason} after {runner.step_var:,} env steps, {agent.iteration:,} "
        f"iterations, {seconds:.1f} s; last evaluation {eval_score:.1f}; mean of the last "
        f"{len(runner.game_scores)} training games {_mean(runner.game_scores):.1f}"
    )
    return TrainResult(
        run.path,
        runner.step_var,
        agent.iteration,
        seconds,
        eval_seconds,
        _mean(runner.game_scores),
        eval_score,
        runner.games,
        stop_reason,
    )


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _format(r: dict, config: DQNConfig) -> str:
    loss = f"  td loss {r['td_loss']:.4f}  q {r['q_mean']:6.2f}" if "td_loss" in r else ""
    toward_limit = budget_progress(
        r["env_steps"], config.steps, r["seconds"], config.max_seconds, r["steps_per_second"]
    )
    return (
        f"steps {r['env_steps']:>11,}  iter {r['iteration']:7d}  eps {r['epsilon']:.3f}"
        f"  score(100) {r['score_mean100']:7.1f}  eval {r['eval_score']:7.1f}{loss}"
        f"  {r['steps_per_second']:5.0f} steps/s  {r['seconds']:7.1f} s  {toward_limit}"
    )
