"""The run skeleton every algorithm shares: iterate until a limit, log, checkpoint, plot.

An algorithm (ES, A2C, DQN) supplies an `Algorithm`: `iterate()` takes one
generation, update or iteration and returns its diagnostics; the rest says what
to record, save and plot. `run_loop` owns everything around it, the same for all:
the limits and stop reasons, SIGTERM and Ctrl-C, the checkpoint cadence, windowed
metrics (each diagnostic's mean over the records' window), the log line with its
"% done, time left", the plot at the end and the summary.
"""

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from esrl.errors import UserError
from esrl.metrics import MetricsLog, read_metrics
from esrl.runs.limits import StopOnSigterm, limits_progress, refuse_resume_past
from esrl.runs.run_dir import RunDir

Diagnostics = list[dict[str, float]]


@dataclass
class Limits:
    """Where a run stops; 0 means no such limit."""

    steps: int = 0  # env steps
    seconds: float = 0.0  # training wall time
    iterations: int = 0  # generations, updates or iterations

    def reason(
        self, env_steps: int, iterations: int, seconds: float, unit: str = "iteration"
    ) -> str:
        """The limit reached ("generation limit" for unit "generation"), or "" to go on."""
        if self.iterations and iterations >= self.iterations:
            return f"{unit} limit"
        if self.steps and env_steps >= self.steps:
            return "step limit"
        if self.seconds and seconds >= self.seconds:
            return "time limit"
        return ""


@dataclass
class TrainResult:
    """What a run did. `scores` holds the algorithm's headline figures (ES:
    `final_return`; A2C and DQN: `score_mean100`, the last 100 training games)."""

    run_dir: Path
    stop_reason: str  # "solved (...)", "step limit", "time limit", "iteration limit", "SIGTERM"
    env_steps: int
    iterations: int  # generations (ES), updates (A2C) or iterations of the pool (DQN)
    seconds: float  # training wall time, resumed sittings included
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.stop_reason.startswith("solved")


class Algorithm:
    """One algorithm's part of a run. Subclasses set the attributes and override
    `iterate`, `record`, `format`, `save` and `plot`; the rest have defaults."""

    name = "run"  # "es", "a2c", "dqn": TensorBoard's namespace for the algorithm's own keys
    return_key = ""  # the record key TensorBoard shows as charts/episodic_return
    iteration_name = "iteration"  # "generation", "update": the summary's unit
    limits = Limits()
    log_every = 0  # env steps between metrics records (0: every iteration)
    checkpoint_seconds = 0.0  # seconds between checkpoints (0: every iteration)
    env_steps = 0
    iterations = 0

    def describe(self) -> str:
        """The run's first log line (before ", run dir ...")."""
        raise NotImplementedError

    def iterate(self) -> Diagnostics:
        """One generation, update or iteration; diagnostics to average over the window."""
        raise NotImplementedError

    def settle(self) -> Diagnostics:
        """Finish learning still in flight (before a record or a checkpoint)."""
        return []

    def record(self) -> dict[str, Any]:
        """The algorithm's own fields of a metrics record (its counter first)."""
        raise NotImplementedError

    def format(self, record: dict[str, Any]) -> str:
        """The log line of a record, before the loop's "% done, time left"."""
        raise NotImplementedError

    def stop_reason(self) -> str:
        """A reason of the algorithm's own to stop (ES: solved), or ""."""
        return ""

    def save(self, seconds: float) -> None:
        raise NotImplementedError

    def finish(self, interrupted: bool) -> str:
        """Work after the last iteration (ES: the final evaluation); a line to log, or ""."""
        return ""

    def summary(self) -> str:
        """What the "stopped: ..." line adds after the counters."""
        return ""

    def scores(self) -> dict[str, float]:
        return {}

    def plot(self, records: list[dict[str, Any]], path: Path) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release envs, worker threads and processes."""


def refuse_resume(run: RunDir, algorithm: Algorithm, seconds: float) -> None:
    """UserError if the run being resumed has already reached one of its limits."""
    refuse_resume_past(run.path, _limit_reached(algorithm, seconds))


def _limit_reached(algorithm: "Algorithm", seconds: float) -> str:
    return algorithm.limits.reason(
        algorithm.env_steps, algorithm.iterations, seconds, algorithm.iteration_name
    )


def run_loop(
    algorithm: Algorithm,
    run: RunDir,
    log: Callable[[str], None],
    resumed_seconds: float | None = None,
) -> TrainResult:
    """Iterate until a limit, a stop reason of the algorithm's or a signal, then plot.

    `resumed_seconds` is the training time of the checkpoint being resumed (None for a
    new run, which is checkpointed before its first iteration so that its directory is
    resumable from the start). Records past the checkpoint are dropped on resume.
    """
    resumed = resumed_seconds is not None
    try:
        metrics = MetricsLog(
            run.metrics_path,
            run.tensorboard_dir,
            step_key="env_steps",
            resume_from=("env_steps", algorithm.env_steps + 1) if resumed else None,
            algo=algorithm.name,
            return_key=algorithm.return_key,
        )
    except BaseException:
        algorithm.close()
        raise
    log(f"{algorithm.describe()}, run dir {run.path}")
    seconds = resumed_seconds or 0.0
    stop_reason = algorithm.stop_reason() if resumed else ""
    signals = StopOnSigterm()
    window = Window(algorithm.env_steps, algorithm.iterations)
    try:
        if not resumed:
            algorithm.save(0.0)
        started = time.perf_counter() - seconds
        last_save = time.perf_counter()
        while not stop_reason:
            window.add(algorithm.iterate())
            seconds = time.perf_counter() - started
            stop_reason = (
                algorithm.stop_reason() or _limit_reached(algorithm, seconds) or signals.reason
            )
            if stop_reason or algorithm.env_steps - window.env_steps >= algorithm.log_every:
                window.add(algorithm.settle())
                record, per_iteration = window.close(algorithm, seconds)
                metrics.write(record)
                toward = progress_line(
                    algorithm.limits,
                    algorithm.iterations,
                    algorithm.env_steps,
                    seconds,
                    record["steps_per_second"],
                    per_iteration,
                )
                log(f"{algorithm.format(record)}  {toward}")
            if stop_reason or time.perf_counter() - last_save >= algorithm.checkpoint_seconds:
                window.add(algorithm.settle())
                algorithm.save(seconds)
                last_save = time.perf_counter()
        final = algorithm.finish(interrupted=bool(signals.reason))
    finally:
        signals.close()
        algorithm.close()
        metrics.close()
    algorithm.plot(read_metrics(run.metrics_path), run.curve_path)
    unit = algorithm.iteration_name + ("" if algorithm.iterations == 1 else "s")
    summary = algorithm.summary()
    log(
        f"stopped: {stop_reason} after {algorithm.iterations:,} {unit}, "
        f"{algorithm.env_steps:,} env steps, {seconds:.1f} s of training"
        + (f"; {summary}" if summary else "")
    )
    if final:
        log(final)
    return TrainResult(
        run.path,
        stop_reason,
        algorithm.env_steps,
        algorithm.iterations,
        seconds,
        algorithm.scores(),
    )


def plot_saved(
    run_dir: Path | str,
    algo: str,
    config_cls: type,
    plot: Callable[[Any, list[dict[str, Any]], Path], None],
) -> Path:
    """Redraw a run's learning curve from its directory (`esrl plot`)."""
    run = RunDir.open(run_dir)
    config = run.read_config(algo, config_cls)
    records = read_metrics(run.metrics_path)
    if not records:
        raise UserError(f"{run.path} has no metrics to plot yet")
    plot(config, records, run.curve_path)
    return run.curve_path


class Window:
    """The diagnostics and counters since the last metrics record."""

    def __init__(self, env_steps: int, iterations: int):
        self._restart(env_steps, iterations)

    def _restart(self, env_steps: int, iterations: int) -> None:
        self.values: dict[str, list[float]] = {}
        self.env_steps, self.iterations = env_steps, iterations
        self.started = time.perf_counter()

    def add(self, diagnostics: Diagnostics) -> None:
        for entry in diagnostics:
            for key, value in entry.items():
                self.values.setdefault(key, []).append(value)

    def close(self, algorithm: Algorithm, seconds: float) -> tuple[dict[str, Any], float]:
        """The record of this window and its seconds per iteration; a new window starts."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        record = {
            **algorithm.record(),
            "env_steps": algorithm.env_steps,
            "seconds": seconds,
            "steps_per_second": (algorithm.env_steps - self.env_steps) / elapsed,
            **{key: _nanmean(values) for key, values in self.values.items()},
        }
        per_iteration = elapsed / max(algorithm.iterations - self.iterations, 1)
        self._restart(algorithm.env_steps, algorithm.iterations)
        return record, per_iteration


def _nanmean(values: list[float]) -> float:
    with warnings.catch_warnings():  # a window of NaNs alone (e.g. r2 of constant targets)
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values))


def progress_line(
    limits: Limits,
    iterations: int,
    env_steps: int,
    seconds: float,
    steps_per_second: float,
    seconds_per_iteration: float,
) -> str:
    """'37.5% done, 1:02:03 left' toward the limit that comes first, at the latest speed."""
    done_and_left = []
    if limits.iterations:
        left = (limits.iterations - iterations) * seconds_per_iteration
        done_and_left.append((iterations / limits.iterations, left))
    if limits.steps:
        rate = steps_per_second
        left = (limits.steps - env_steps) / rate if rate > 0 else math.inf
        done_and_left.append((env_steps / limits.steps, left))
    if limits.seconds:
        done_and_left.append((seconds / limits.seconds, limits.seconds - seconds))
    return limits_progress(done_and_left)
