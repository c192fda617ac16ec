"""The A2C training loop: collect T steps in N envs, compute targets, one RMSProp step; repeat.

Read top to bottom: `train_a2c` starts a run, `resume_a2c` continues one from its
directory, and both hand over to `_run`. A checkpoint (agent.pt) holds the network,
the optimizer, the sampling generator, the counters and the last 100 game scores;
games in progress are not saved, so a resumed run starts fresh games.

With `pipeline`, each update runs on a worker thread (`esrl.pipeline`) while the
envs play the next trajectory on a copy of the weights from before it; that
trajectory then reaches its own update one update behind, so it carries the acting
log-probabilities and `A2C.policy_loss` weights by pi / mu.
"""

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from esrl.a2c.algorithm import A2C
from esrl.a2c.config import A2CConfig
from esrl.a2c.model import ActorCritic
from esrl.a2c.optimizer import make_rmsprop
from esrl.a2c.policy import Policy
from esrl.a2c.transforms import ComputeValueTargets, MergeTimeBatch
from esrl.configs import with_resume_overrides
from esrl.envs.batch import make_env_batch
from esrl.envs.runner import EnvRunner
from esrl.envs.vector import seed_from
from esrl.errors import UserError
from esrl.metrics import MetricsLog, read_metrics
from esrl.metrics.plots import plot_a2c_diagnostics
from esrl.networks import require_weights_finite
from esrl.pipeline import LearnerThread
from esrl.runs import (
    RunDir,
    StopOnSigterm,
    budget_progress,
    budget_stop_reason,
    load_torch_state,
    refuse_resume_past,
    save_torch_state,
)

ALGO = "a2c"


@dataclass
class TrainResult:
    run_dir: Path
    env_steps: int
    updates: int
    seconds: float
    score_mean100: float  # mean raw score of the last 100 finished games (NaN if none)
    games: int
    stop_reason: str  # "step limit", "time limit" or "SIGTERM"


def build_agent(config: A2CConfig, env) -> tuple[ActorCritic, Policy, torch.optim.Optimizer]:
    torch.manual_seed(config.seed)  # the network's initial weights
    model = ActorCritic(
        int(env.single_action_space.n), env.single_observation_space.shape, config.hidden
    )
    policy = Policy(model, seed=config.seed)
    optimizer = make_rmsprop(
        config.rmsprop,
        model.parameters(),
        lr=config.learning_rate,
        alpha=config.rms_alpha,
        eps=config.rms_eps,
    )
    return model, policy, optimizer


def _make_env(config: A2CConfig):
    return make_env_batch(
        config.env, config.nenvs, frame_size=config.frame_size, split=config.overlap
    )


def train_a2c(
    config: A2CConfig, out: Path | str | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Start a new run in `out` (default: runs/a2c-ENV-seedN-TIME)."""
    config.validate()
    path = out or RunDir.default_path(ALGO, config.env, config.seed)
    RunDir.check_new(path)
    env = _make_env(config)  # a clear error for a bad env before anything is written
    with RunDir.create(path, ALGO, config) as run:
        _, policy, optimizer = build_agent(config, env)
        return _run(config, run, env, policy, optimizer, state=None, log=log)


def resume_a2c(
    run_dir: Path | str, overrides: dict | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Continue a run from its last checkpoint (only `resumable` fields may change)."""
    with RunDir.open(run_dir).open_to_resume() as run:
        config = with_resume_overrides(run.read_config(ALGO, A2CConfig), overrides or {}, run.path)
        config.validate()
        state = load_torch_state(run.agent_path, STATE_KEYS)
        refuse_resume_past(
            run.path,
            budget_stop_reason(
                state["env_steps"], config.steps, state["seconds"], config.max_seconds
            ),
        )
        env = _make_env(config)
        model, policy, optimizer = build_agent(config, env)
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            policy.generator.set_state(state["generator"])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"checkpoint in {run.path} does not fit its config ({exc})") from None
        run.write_config(ALGO, config)
        return _run(config, run, env, policy, optimizer, state=state, log=log)


STATE_KEYS = (
    "model",
    "optimizer",
    "generator",
    "env_steps",
    "updates",
    "seconds",
    "game_scores",
    "games",
)


def _save(run: RunDir, policy: Policy, optimizer, runner: EnvRunner, updates: int, seconds: float):
    require_weights_finite(policy.model, f"after {updates:,} updates, a network weight")
    save_torch_state(
        run.agent_path,
        {
            "model": policy.model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": policy.generator.get_state(),
            "env_steps": runner.step_var,
            "updates": updates,
            "seconds": seconds,
            "game_scores": list(runner.game_scores),
            "games": runner.games,
        },
    )


def _run(
    config: A2CConfig,
    run: RunDir,
    env,
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    state: dict | None,
    log: Callable[[str], None],
) -> TrainResult:
    learner_threads = config.threads or torch.get_num_threads()
    acting = policy  # what the envs play: with `pipeline`, a copy refreshed between updates
    if config.pipeline:
        torch.set_num_threads(1)  # acting beside the learner's threads: 623 vs 560 steps/s
        acting = Policy(copy.deepcopy(policy.model).requires_grad_(False))
        acting.generator = policy.generator  # one sampling stream, saved with checkpoints
    elif config.threads:
        torch.set_num_threads(config.threads)
    step_var = state["env_steps"] if state else 0
    updates = state["updates"] if state else 0
    runner = EnvRunner(
        env,
        acting,
        config.nsteps,
        transforms=[ComputeValueTargets(acting, config.gamma), MergeTimeBatch()],
        step_var=step_var,
        seed=seed_from(config.seed, step_var),  # a resumed run starts new games
    )
    if state:
        runner.game_scores.extend(state["game_scores"])
        runner.games = state["games"]
    a2c = A2C(
        policy,
        optimizer,
        config.value_loss_coef,
        config.entropy_coef,
        config.max_grad_norm,
        truncate_ratio=config.pipeline_ratio == "truncated",
    )
    learner = LearnerThread(config.pipeline, learner_threads)
    metrics = MetricsLog(
        run.metrics_path,
        run.tensorboard_dir,
        step_key="env_steps",
        resume_from=("env_steps", step_var + 1) if state else None,
    )
    num_params = sum(p.numel() for p in policy.model.parameters())
    log(
        f"esrl a2c on {config.env}: {num_params} params, {config.nenvs} envs x {config.nsteps} "
        f"steps, run dir {run.path}"
    )
    started = time.perf_counter() - (state["seconds"] if state else 0.0)
    last_save = time.perf_counter()
    window: list[dict[str, float]] = []
    window_start, window_steps = time.perf_counter(), runner.step_var
    stop_reason = ""
    sigterm = StopOnSigterm()
    try:
        if not state:  # resumable from the start: never a dead run dir
            _save(run, policy, optimizer, runner, updates, 0.0)
        while not stop_reason:
            progress = runner.step_var / config.steps  # where this trajectory starts
            trajectory = runner.get_next()
            window.extend(learner.wait())  # pipelined: the update started last time
            if acting is not policy:
                acting.model.load_state_dict(policy.model.state_dict())
                trajectory["behaviour_log_probs"] = trajectory["log_probs"]
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate * max(1.0 - progress, 0.0)
            learner.start(lambda trajectory=trajectory: [a2c.step(trajectory)])
            updates += 1
            seconds = time.perf_counter() - started
            stop_reason = (
                budget_stop_reason(runner.step_var, config.steps, seconds, config.max_seconds)
                or sigterm.reason
            )
            if runner.step_var - window_steps >= config.log_every or stop_reason:
                window.extend(learner.wait())
                now = time.perf_counter()
                record = {
                    "env_steps": runner.step_var,
                    "updates": updates,
                    "seconds": seconds,
                    "steps_per_second": (runner.step_var - window_steps) / (now - window_start),
                    "learning_rate": optimizer.param_groups[0]["lr"],
                    "score_mean100": _mean(runner.game_scores),
                    "games": runner.games,
                    **{k: float(np.nanmean([d[k] for d in window])) for k in window[0]},
                }
                metrics.write(record)
                log(_format(record, config))
                window, window_start, window_steps = [], now, runner.step_var
            if time.perf_counter() - last_save >= config.checkpoint_seconds or stop_reason:
                window.extend(learner.wait())
                _save(run, policy, optimizer, runner, updates, seconds)
                last_save = time.perf_counter()
    finally:
        sigterm.close()
        learner.close()
        metrics.close()
        env.close()
    records = read_metrics(run.metrics_path)
    plot_a2c_diagnostics(records, run.curve_path, f"A2C on {config.env} (seed {config.seed})")
    log(
        f"stopped: {stop_reason} after {runner.step_var:,} env steps, {updates:,} updates, "
        f"{seconds:.1f} s; mean raw score of the last {len(runner.game_scores)} games "
        f"{_mean(runner.game_scores):.1f}"
    )
    return TrainResult(
        run.path,
        runner.step_var,
        updates,
        seconds,
        _mean(runner.game_scores),
        runner.games,
        stop_reason,
    )


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _format(r: dict, config: A2CConfig) -> str:
    toward_limit = budget_progress(
        r["env_steps"], config.steps, r["seconds"], config.max_seconds, r["steps_per_second"]
    )
    return (
        f"steps {r['env_steps']:>11,}  score(100) {r['score_mean100']:8.1f}  games {r['games']:5d}"
        f"  entropy {r['entropy']:.2f}  r2 {r['r2']:5.2f}  value loss {r['value_loss']:.3f}"
        f"  {r['steps_per_second']:6.0f} steps/s  {r['seconds']:7.1f} s  {toward_limit}"
    )
