"""The ES training loop: ask, evaluate on a backend, tell, log, checkpoint.

Read top to bottom: `train_es` starts a run, `resume_es` continues one from its
directory, and both hand over to `_run`, which is one loop over generations.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from esrl.backends import Backend, make_backend
from esrl.configs import with_resume_overrides
from esrl.envs.atari import game_name
from esrl.envs.vector import env_info
from esrl.errors import NonFiniteReturnError, UserError, require_finite
from esrl.es.config import ESConfig
from esrl.es.evaluation import (
    CONFIRM_STREAM,
    FINAL_STREAM,
    build_policy,
    gather,
    plan_generation,
    plan_mean_evaluation,
)
from esrl.es.noise import NoiseTable
from esrl.es.observation_stats import ObservationStats
from esrl.es.optimizers import OptimizerState
from esrl.es.replica import Snapshot, Update, advance, build_strategy
from esrl.es.strategy import ESState, OpenAIES, generation_rng
from esrl.metrics import MetricsLog, read_metrics
from esrl.metrics.plots import plot_es_curve
from esrl.runs import (
    RunDir,
    StopOnSigterm,
    load_checkpoint,
    refuse_resume_past,
    save_checkpoint,
)
from esrl.runs.limits import limits_progress

ALGO = "es"
INIT_STREAM = 0xFFFF  # rng stream of the initial parameters
MEAN_EVAL_PER_TASK = 50  # Atari: episodes of the mean policy per task when confirming a target


@dataclass
class TrainResult:
    run_dir: Path
    params: np.ndarray
    generations: int
    env_steps: int
    seconds: float
    solved: bool
    stop_reason: str
    final_return: float  # mean over `target_episodes` episodes of the final mean policy
    final_return_std: float


@dataclass
class Progress:
    """Counters that, with the strategy state, make a checkpoint complete."""

    env_steps: int = 0
    seconds: float = 0.0
    solved: bool = False


def resolve(config: ESConfig) -> ESConfig:
    """Validate and fill env-dependent defaults, so the saved config says what ran."""
    config.validate()
    policy = build_policy(config)  # a clear error now for an env or network we cannot use
    if config.noise_size < policy.num_params:
        raise UserError(
            f"--noise-size {config.noise_size} is smaller than the policy's "
            f"{policy.num_params} parameters"
        )
    if config.target_return is None:
        threshold = None if game_name(config.env) else env_info(config.env).reward_threshold
        target = threshold if threshold is not None else math.inf
        config = replace(config, target_return=float(target))
    return config


def train_es(
    config: ESConfig, out: Path | str | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Start a new run in `out` (default: runs/es-ENV-seedN-TIME)."""
    config = resolve(config)
    path = out or RunDir.default_path(ALGO, config.env, config.seed)
    RunDir.check_new(path)
    backend = make_backend(config)  # before writing: a backend that cannot start leaves no run
    try:
        run = RunDir.create(path, ALGO, config)
    except BaseException:
        backend.close()
        raise
    with run:
        policy = build_policy(config)
        noise = NoiseTable.shared(config.seed, config.noise_size)
        params = policy.init_params(generation_rng(config.seed, 0, INIT_STREAM))
        strategy = build_strategy(config, noise, policy.num_params)
        snapshot = Snapshot(strategy.init(params), ObservationStats.zeros(policy.stats_shape))
        return _run(config, run, backend, strategy, snapshot, Progress(), log, resumed=False)


def resume_es(
    run_dir: Path | str, overrides: dict | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Continue a run exactly where its last checkpoint left it.

    Only `resumable` fields (backend, workers, stop conditions) may be overridden;
    asking to change anything else (e.g. the env) is an error, never a silent restart.
    """
    with RunDir.open(run_dir).open_to_resume() as run:
        config = run.read_config(ALGO, ESConfig)
        config = resolve(with_resume_overrides(config, overrides or {}, run.path))
        arrays, meta = load_checkpoint(run.checkpoint_path)
        policy = build_policy(config)
        if arrays.get("params", np.empty(0)).shape != (policy.num_params,):
            raise UserError(f"checkpoint in {run.path} does not match its config.json")
        noise = NoiseTable.shared(config.seed, config.noise_size)
        strategy = build_strategy(config, noise, policy.num_params)
        try:
            state = ESState(
                params=arrays["params"],
                optimizer=OptimizerState(
                    t=meta["optimizer_t"], m=arrays["opt_m"], v=arrays["opt_v"]
                ),
                generation=meta["generation"],
            )
            obs_stats = ObservationStats(arrays["obs_sum"], arrays["obs_sumsq"], meta["obs_count"])
            progress = Progress(meta["env_steps"], meta["seconds"], meta["solved"])
        except KeyError as exc:
            raise UserError(
                f"checkpoint in {run.path} lacks {exc}; it is not an ES checkpoint"
            ) from None
        if not progress.solved:  # a solved run resumes to its final evaluation alone
            refuse_resume_past(run.path, _stop_reason(config, state, progress))
        backend = make_backend(
            config
        )  # before writing: a backend that cannot start changes nothing
        run.write_config(ALGO, config)
        snapshot = Snapshot(state, obs_stats)
        return _run(config, run, backend, strategy, snapshot, progress, log, resumed=True)


def _save(run: RunDir, snapshot: Snapshot, progress: Progress) -> None:
    state, obs_stats = snapshot.state, snapshot.obs_stats
    save_checkpoint(
        run.checkpoint_path,
        {
            "params": state.params,
            "opt_m": state.optimizer.m,
            "opt_v": state.optimizer.v,
            "obs_sum": obs_stats.sum,
            "obs_sumsq": obs_stats.sumsq,
        },
        {
            "algo": ALGO,
            "generation": state.generation,
            "optimizer_t": state.optimizer.t,
            "obs_count": obs_stats.count,
            "env_steps": progress.env_steps,
            "seconds": progress.seconds,
            "solved": progress.solved,
        },
    )


def evaluate_mean(
    config: ESConfig, backend: Backend, snapshot: Snapshot, episodes: int, stream: int
) -> tuple[np.ndarray, int]:
    """Returns of `episodes` episodes of the mean policy, and the env steps they took."""
    per_task = MEAN_EVAL_PER_TASK if game_name(config.env) else -(-episodes // backend.split)
    tasks = plan_mean_evaluation(snapshot.generation, episodes, per_task, stream)
    result = gather(tasks, backend.evaluate(snapshot, tasks))
    return result.eval_returns, int(result.eval_lengths.sum())


def pairs_per_task(config: ESConfig, backend: Backend) -> int:
    """Atari: the config's lockstep layout. Vector envs: what suits the backend, since any
    split gives the same result."""
    if game_name(config.env):
        return config.pairs_per_task
    return -(-config.pairs // max(1, backend.split))


def _check_finite(returns: np.ndarray, generation: int) -> None:
    bad = np.argwhere(~np.isfinite(returns))
    if len(bad):
        raise NonFiniteReturnError(
            f"generation {generation}: the environment returned a non-finite episode return "
            f"({returns[tuple(bad[0])]}) for pair {bad[0][0]}; no update was made"
        )


def _run(
    config: ESConfig,
    run: RunDir,
    backend: Backend,
    strategy: OpenAIES,
    snapshot: Snapshot,
    progress: Progress,
    log: Callable[[str], None],
    resumed: bool,
) -> TrainResult:
    try:
        metrics = MetricsLog(
            run.metrics_path,
            run.tensorboard_dir,
            step_key="env_steps",
            resume_from=("generation", snapshot.generation) if resumed else None,
        )
    except BaseException:
        backend.close()
        raise
    stop_reason = "solved" if progress.solved else ""
    log(
        f"esrl es on {config.env}: {strategy.num_params} params, population {config.population},"
        f" backend {config.backend}, run dir {run.path}"
    )
    confirm_returns = None
    sigterm = StopOnSigterm()
    try:
        if not resumed:
            _save(run, snapshot, progress)  # resumable from the start: never a dead run dir
        started = time.perf_counter() - progress.seconds
        while not stop_reason:
            gen_start = time.perf_counter()
            generation = snapshot.generation
            indices = strategy.ask(snapshot.state)
            tasks = plan_generation(
                generation, indices, pairs_per_task(config, backend), config.eval_episodes
            )
            result = gather(tasks, backend.evaluate(snapshot, tasks))
            _check_finite(result.returns, generation)
            _check_finite(result.eval_returns[:, None], generation)
            require_finite(result.obs_stats.sum, f"generation {generation}: an observation")
            progress.env_steps += result.env_steps
            eval_return = (
                float(result.eval_returns.mean()) if len(result.eval_returns) else math.nan
            )
            transport = backend.transport_stats()

            confirm_returns = None
            if eval_return >= config.target_return:
                confirm_returns, steps = evaluate_mean(
                    config, backend, snapshot, config.target_episodes, CONFIRM_STREAM
                )
                progress.env_steps += steps
                progress.solved = bool(confirm_returns.mean() >= config.target_return)
            if not progress.solved:
                fitness = result.returns + config.length_bonus * result.lengths
                update = Update(generation, indices, fitness, result.obs_stats)
                snapshot = advance(strategy, snapshot, update)
                require_finite(snapshot.state.params, f"generation {generation}: a weight")
            now = time.perf_counter()
            progress.seconds = now - started
            record = {
                "generation": generation,
                "env_steps": progress.env_steps,
                "return_mean": float(result.returns.mean()),
                "return_max": float(result.returns.max()),
                "return_min": float(result.returns.min()),
                "eval_return": eval_return,
                "confirm_return": (
                    float(confirm_returns.mean()) if confirm_returns is not None else math.nan
                ),
                "episode_length_mean": float(result.lengths.mean()),
                "steps_per_second": result.env_steps / max(now - gen_start, 1e-9),
                "executed_steps": result.executed_steps,
                "seconds": progress.seconds,
                **transport,
            }
            metrics.write(record)
            _save(run, snapshot, progress)
            log(f"{_format(record)}  {_progress(config, snapshot.generation, progress)}")
            stop_reason = _stop_reason(config, snapshot.state, progress) or sigterm.reason
        final, final_std = (
            _final_evaluation(
                config, backend, snapshot, confirm_returns if progress.solved else None
            )
            if not sigterm.reason  # a signal asks to stop now; resume evaluates later
            else (math.nan, math.nan)
        )
    finally:
        sigterm.close()
        backend.close()
        metrics.close()
    plot_es_curve(
        read_metrics(run.metrics_path),
        run.curve_path,
        f"ES on {config.env} (seed {config.seed})",
        config.target_return,
        config.episode_steps,
    )
    generations = snapshot.generation + int(progress.solved)  # a solving generation is not told
    log(
        f"stopped: {stop_reason} after {generations} generations, "
        f"{progress.env_steps:,} env steps, {progress.seconds:.2f} s of training"
    )
    if not sigterm.reason:
        log(
            f"final: mean return {final:.1f} +- {final_std:.1f} over {config.target_episodes} "
            f"episodes of the mean policy"
        )
    return TrainResult(
        run.path,
        snapshot.state.params,
        generations,
        progress.env_steps,
        progress.seconds,
        progress.solved,
        stop_reason,
        final,
        final_std,
    )


def _final_evaluation(
    config: ESConfig, backend: Backend, snapshot: Snapshot, confirm_returns: np.ndarray | None
):
    """Mean and std over `target_episodes`; a successful confirmation already is one."""
    returns = confirm_returns
    if returns is None:
        returns, _ = evaluate_mean(config, backend, snapshot, config.target_episodes, FINAL_STREAM)
    return float(returns.mean()), float(returns.std())


def _stop_reason(config: ESConfig, state: ESState, progress: Progress) -> str:
    if progress.solved:
        return f"solved (target {config.target_return:g})"
    if state.generation >= config.generations:
        return "generation limit"
    if config.max_env_steps and progress.env_steps >= config.max_env_steps:
        return "env-step limit"
    if config.max_seconds and progress.seconds >= config.max_seconds:
        return "time limit"
    return ""


def _progress(config: ESConfig, generations: int, progress: Progress) -> str:
    """How far the run is toward its first limit, and the time left at the speed so far."""
    seconds, steps = progress.seconds, progress.env_steps
    limits = [
        (
            generations / config.generations,
            (config.generations - generations) * seconds / generations,
        )
    ]
    if config.max_env_steps:
        rate = steps / seconds if seconds > 0 else 0.0
        left = (config.max_env_steps - steps) / rate if rate > 0 else math.inf
        limits.append((steps / config.max_env_steps, left))
    if config.max_seconds:
        limits.append((seconds / config.max_seconds, config.max_seconds - seconds))
    return limits_progress(limits)


def _format(r: dict) -> str:
    confirm = (
        ""
        if r["confirm_return"] != r["confirm_return"]
        else f" (confirm {r['confirm_return']:.1f})"
    )
    return (
        f"gen {r['generation']:4d}  return mean {r['return_mean']:7.1f} max {r['return_max']:7.1f}"
        f"  eval {r['eval_return']:7.1f}{confirm}  steps {r['env_steps']:>10,}"
        f"  {r['steps_per_second'] / 1e3:6.0f}k steps/s  {r['seconds']:6.2f} s"
    )
