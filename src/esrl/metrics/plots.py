"""Learning curves as PNG, drawn from the metrics file alone (so any run can be re-plotted)."""

import math
from pathlib import Path
from typing import Any


def _figure(rows: int, cols: int, figsize: tuple[float, float], fixed: bool = False, **options):
    """A figure and its axes, without pyplot, so no GUI backend is chosen for the host
    program. `fixed` margins instead of constrained layout: half the drawing time, for
    the curve every run draws as it ends."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout=None if fixed else "constrained")
    if fixed:
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.2)
    return figure, figure.subplots(rows, cols, **options)


def scaled(values: list[float], unit: str) -> tuple[list[float], str, float]:
    """Values in the unit that suits their range: a 20k-step run in thousands, a 10M-step
    run in millions. Returns the scaled values, the axis label and the scale."""
    top = max((abs(v) for v in values), default=0.0)
    for scale, name in ((1e6, "millions"), (1e3, "thousands")):
        if top >= scale:
            return [v / scale for v in values], f"{unit} ({name})", scale
    return list(values), unit, 1.0


def plot_es_curve(
    records: list[dict[str, Any]],
    path: Path,
    title: str,
    target: float | None = None,
    episode_steps: int = 0,
) -> Path:
    """Population and mean-policy returns against env steps, generations on the top axis.

    With `episode_steps`, training episodes were capped there, and the y label says so.
    """
    import numpy as np

    fig, ax = _figure(1, 1, figsize=(8, 4.5), fixed=True)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.82)
    x, x_label, _ = scaled([r["env_steps"] for r in records], "env steps")
    ax.plot(x, [r["return_mean"] for r in records], label="population mean")
    ax.fill_between(
        x,
        [r["return_min"] for r in records],
        [r["return_max"] for r in records],
        alpha=0.2,
        label="population min-max",
    )
    ax.plot(x, [r["eval_return"] for r in records], label="mean policy (eval)", lw=2)
    if target is not None and math.isfinite(target):
        ax.axhline(target, color="gray", ls="--", lw=1, label=f"target {target:g}")
    ax.set_xlabel(x_label)
    ax.set_ylabel(
        f"return over the first {episode_steps} steps" if episode_steps else "episode return"
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    if len(records) > 1:  # generations on top: env steps per generation vary
        steps = np.array(x, float)
        gens = np.array([r["generation"] + 1 for r in records], float)  # after generation g
        top = ax.secondary_xaxis(
            "top",
            functions=(lambda v: np.interp(v, steps, gens), lambda g: np.interp(g, gens, steps)),
        )
        top.set_xlabel("generation")
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path


def plot_grid(
    records: list[dict[str, Any]],
    path: Path,
    title: str,
    panels: list[tuple[str, str]],
) -> Path:
    """One small panel per (metric key, y label), against env steps."""
    cols = 4 if len(panels) > 6 else 3
    rows = -(-len(panels) // cols)
    fig, axes = _figure(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    _, x_label, scale = scaled([r["env_steps"] for r in records], "env steps")
    for ax, (key, label) in zip(axes.flat, panels, strict=False):
        points = [(r["env_steps"] / scale, r.get(key, float("nan"))) for r in records]
        points = [(x, y) for x, y in points if y == y]  # NaN: not measured yet
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            lw=1.5,
            marker="." if len(points) < 30 else None,
        )
        ax.set_ylabel(label, fontsize=8)
        ax.set_xlabel(x_label, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path


A2C_PANELS = [
    ("score_mean100", "score, last 100 games"),
    ("r2", "R^2 of value predictions"),
    ("entropy", "policy entropy"),
    ("loss", "A2C loss"),
    ("policy_loss", "policy loss"),
    ("value_loss", "value loss"),
    ("value_targets", "value targets (mean)"),
    ("values", "value predictions (mean)"),
    ("advantages", "advantages (mean)"),
    ("grad_norm", "gradient norm (unclipped)"),
    ("learning_rate", "learning rate"),
    ("steps_per_second", "env steps per second"),
]


def plot_a2c_diagnostics(records: list[dict[str, Any]], path: Path, title: str) -> Path:
    """The A2C notebook's diagnostics as a grid, against env steps (`runner.step_var`)."""
    return plot_grid(records, path, title, A2C_PANELS)


DQN_PANELS = [
    ("eval_score", "evaluation score (whole games)"),
    ("score_mean100", "training score, last 100 games"),
    ("td_loss", "TD loss"),
    ("q_mean", "mean Q of sampled actions"),
    ("epsilon", "epsilon"),
    ("replay_size", "replay memory (transitions)"),
    ("steps_per_second", "env steps per second"),
]


def plot_dqn_curves(records: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Evaluation and training scores against env steps, with the training diagnostics."""
    return plot_grid(records, path, title, DQN_PANELS)
