"""ES training: ask, evaluate on a backend, tell; one generation per iteration.

Read top to bottom: `train_es` starts a run, `resume_es` continues one from its
directory, and both hand an `ESRun` (one generation per `iterate`) to the run
skeleton `esrl.runs.loop.run_loop`, which logs, checkpoints and stops it.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from esrl.configs import with_resume_overrides
from esrl.envs.atari import game_name
from esrl.envs.vector import env_info
from esrl.errors import NonFiniteReturnError, UserError, require_finite
from esrl.es.backends import Backend, make_backend
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
from esrl.metrics.plots import plot_es_curve
from esrl.runs import RunDir, load_checkpoint, save_checkpoint
from esrl.runs.loop import Algorithm, Diagnostics, Limits, TrainResult, refuse_resume, run_loop

ALGO = "es"
INIT_STREAM = 0xFFFF  # rng stream of the initial parameters
MEAN_EVAL_PER_TASK = 50  # Atari: episodes of the mean policy per task when confirming a target


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
    path = RunDir.new_path(out, ALGO, config.env, config.seed)
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
        es = ESRun(config, run, backend, strategy, snapshot, Progress())
        return run_loop(es, run, log)


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
        es = ESRun(config, run, None, strategy, Snapshot(state, obs_stats), progress)
        if not progress.solved:  # a solved run resumes to its final evaluation alone
            refuse_resume(run, es, progress.seconds)
        es.backend = make_backend(config)  # before writing: one that cannot start changes nothing
        run.write_config(ALGO, config)
        return run_loop(es, run, log, resumed_seconds=progress.seconds)


def evaluate_mean(
    config: ESConfig, backend: Backend, snapshot: Snapshot, episodes: int, stream: int
) -> tuple[np.ndarray, int]:
    """Returns of `episodes` episodes of the mean policy, and the env steps they took."""
    per_task = MEAN_EVAL_PER_TASK if game_name(config.env) else -(-episodes // backend.split)
    tasks = plan_mean_evaluation(snapshot.generation, episodes, per_task, stream)
    result = gather(tasks, backend.evaluate(snapshot, tasks))
    return result.eval_returns, int(result.eval_lengths.sum())


def pairs_per_task(config: ESConfig, backend: Backend) -> int:
    """What suits the backend, since any split gives the same result; Atari at most the
    config's lockstep batch."""
    fit = -(-config.pairs // max(1, backend.split))
    return min(fit, config.pairs_per_task) if game_name(config.env) else fit


def _check_finite(returns: np.ndarray, generation: int) -> None:
    bad = np.argwhere(~np.isfinite(returns))
    if len(bad):
        raise NonFiniteReturnError(
            f"generation {generation}: the environment returned a non-finite episode return "
            f"({returns[tuple(bad[0])]}) for pair {bad[0][0]}; no update was made"
        )


class ESRun(Algorithm):
    """One generation per iteration: ask, evaluate on the backend, tell."""

    name = ALGO
    return_key = "eval_return"

    iteration_name = "generation"

    def __init__(
        self,
        config: ESConfig,
        run: RunDir,
        backend: Backend | None,
        strategy: OpenAIES,
        snapshot: Snapshot,
        progress: Progress,
    ):
        self.config, self.backend, self.strategy = config, backend, strategy
        self.checkpoint_path = run.checkpoint_path
        self.snapshot, self.progress = snapshot, progress
        self.limits = Limits(config.steps, config.max_seconds, config.generations)
        self.confirm_returns: np.ndarray | None = None
        self.last: dict = {}
        self.final = (math.nan, math.nan)

    @property
    def env_steps(self) -> int:
        return self.progress.env_steps

    @property
    def iterations(self) -> int:
        return self.snapshot.generation + int(self.progress.solved)  # a solving one is not told

    def describe(self) -> str:
        config = self.config
        return (
            f"esrl es on {config.env}: {self.strategy.num_params} params, "
            f"population {config.population}, backend {config.backend}"
        )

    def iterate(self) -> Diagnostics:
        config, backend, progress = self.config, self.backend, self.progress
        generation = self.snapshot.generation
        indices = self.strategy.ask(self.snapshot.state)
        tasks = plan_generation(
            generation, indices, pairs_per_task(config, backend), config.eval_episodes
        )
        result = gather(tasks, backend.evaluate(self.snapshot, tasks))
        _check_finite(result.returns, generation)
        _check_finite(result.eval_returns[:, None], generation)
        require_finite(result.obs_stats.sum, f"generation {generation}: an observation")
        progress.env_steps += result.env_steps
        eval_return = float(result.eval_returns.mean()) if len(result.eval_returns) else math.nan
        self.confirm_returns = None
        if eval_return >= config.target_return:
            self.confirm_returns, steps = evaluate_mean(
                config, backend, self.snapshot, config.target_episodes, CONFIRM_STREAM
            )
            progress.env_steps += steps
            progress.solved = bool(self.confirm_returns.mean() >= config.target_return)
        if not progress.solved:
            fitness = result.returns + config.length_bonus * result.lengths
            update = Update(generation, indices, fitness, result.obs_stats)
            self.snapshot = advance(self.strategy, self.snapshot, update)
            require_finite(self.snapshot.state.params, f"generation {generation}: a weight")
        confirm = self.confirm_returns
        self.last = {
            "generation": generation,
            "return_mean": float(result.returns.mean()),
            "return_max": float(result.returns.max()),
            "return_min": float(result.returns.min()),
            "eval_return": eval_return,
            "confirm_return": float(confirm.mean()) if confirm is not None else math.nan,
            "episode_length_mean": float(result.lengths.mean()),
            "executed_steps": result.executed_steps,
            **backend.transport_stats(),
        }
        return []

    def record(self) -> dict:
        return self.last

    def format(self, r: dict) -> str:
        confirm = r["confirm_return"]
        confirm = "" if math.isnan(confirm) else f" (confirm {confirm:.1f})"
        return (
            f"gen {r['generation']:4d}  return mean {r['return_mean']:7.1f} "
            f"max {r['return_max']:7.1f}  eval {r['eval_return']:7.1f}{confirm}  "
            f"steps {r['env_steps']:>10,}  {r['steps_per_second'] / 1e3:6.0f}k steps/s  "
            f"{r['seconds']:6.2f} s"
        )

    def stop_reason(self) -> str:
        return f"solved (target {self.config.target_return:g})" if self.progress.solved else ""

    def save(self, seconds: float) -> None:
        self.progress.seconds = seconds
        state, obs_stats = self.snapshot.state, self.snapshot.obs_stats
        save_checkpoint(
            self.checkpoint_path,
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
                "env_steps": self.progress.env_steps,
                "seconds": seconds,
                "solved": self.progress.solved,
            },
        )

    def finish(self, interrupted: bool) -> str:
        if interrupted:  # a signal asks to stop now; a resume evaluates later
            return ""
        returns = self.confirm_returns if self.progress.solved else None
        if returns is None:
            returns, _ = evaluate_mean(
                self.config, self.backend, self.snapshot, self.config.target_episodes, FINAL_STREAM
            )
        self.final = (float(returns.mean()), float(returns.std()))
        return (
            f"final: mean return {self.final[0]:.1f} +- {self.final[1]:.1f} over "
            f"{self.config.target_episodes} episodes of the mean policy"
        )

    def scores(self) -> dict[str, float]:
        return {"final_return": self.final[0], "final_return_std": self.final[1]}

    def plot(self, records: list[dict], path: Path) -> None:
        plot_curve(self.config, records, path)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()


def plot_curve(config: ESConfig, records: list[dict], path: Path) -> None:
    title = f"ES on {config.env} (seed {config.seed})"
    plot_es_curve(records, path, title, config.target_return, config.episode_steps)
