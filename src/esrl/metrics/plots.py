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


def plot_es_curve(
    records: list[dict[str, Any]],
    path: Path,
    title: str,
    target: float | None = None,
    episode_steps: int = 0,
) -> Path:
    """Population and mean-policy returns against env steps and generations.

    With `episode_steps`, training episodes were capped there, and the y label says so.
    """
    fig, axes = _figure(1, 2, figsize=(11, 4), fixed=True)
    steps = [r["env_steps"] / 1e3 for r in records]
    gens = [r["generation"] for r in records]
    for ax, x, label in ((axes[0], steps, "env steps (thousands)"), (axes[1], gens, "generation")):
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
        ax.set_xlabel(label)
        ax.set_ylabel(
            f"return over the first {episode_steps} steps" if episode_steps else "episode return"
        )
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path


X_AXES = {
    "env_steps": ("env steps (millions)", 1e6),
    "iteration": ("iteration (thousands)", 1e3),
}


def plot_grid(
    records: list[dict[str, Any]],
    path: Path,
    title: str,
    panels: list[tuple[str, ...]],
) -> Path:
    """One small panel per (metric key, label[, x key]); x defaults to env steps."""
    cols = 4 if len(panels) > 6 else 3
    rows = -(-len(panels) // cols)
    fig, axes = _figure(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, (key, label, *x_key) in zip(axes.flat, panels, strict=False):
        x_name = x_key[0] if x_key else "env_steps"
        x_label, scale = X_AXES[x_name]
        points = [(r[x_name] / scale, r.get(key, float("nan"))) for r in records]
        points = [(x, y) for x, y in points if y == y]  # NaN: not measured yet
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            lw=1.5,
            marker="." if len(points) < 30 else None,
        )
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(x_label, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path


A2C_PANELS = [
    ("score_mean100", "raw game score, mean of last 100 games"),
    ("r2", "R^2 of value targets vs predictions"),
    ("entropy", "policy entropy"),
    ("loss", "A2C loss"),
    ("policy_loss", "policy loss"),
    ("value_loss", "value loss"),
    ("value_targets", "value targets (mean)"),
    ("values", "value predictions (mean)"),
    ("advantages", "advantages (mean)"),
    ("grad_norm", "gradient norm (before clipping)"),
    ("learning_rate", "learning rate"),
    ("steps_per_second", "env steps per second"),
]


def plot_a2c_diagnostics(records: list[dict[str, Any]], path: Path, title: str) -> Path:
    """The A2C notebook's diagnostics as a grid, against env steps (`runner.step_var`)."""
    return plot_grid(records, path, title, A2C_PANELS)


DQN_PANELS = [
    ("eval_score", "evaluation score (whole games)"),
    ("eval_score", "evaluation score (whole games)", "iteration"),
    ("score_mean100", "training games, mean of last 100"),
    ("td_loss", "TD loss"),
    ("q_mean", "mean Q of sampled actions"),
    ("epsilon", "epsilon", "iteration"),
    ("replay_size", "replay memory (transitions)"),
    ("steps_per_second", "env steps per second"),
]


def plot_dqn_curves(records: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Evaluation score against env steps and iterations, with the training diagnostics."""
    return plot_grid(records, path, title, DQN_PANELS)
