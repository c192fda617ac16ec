"""Learning curves as PNG, drawn from the metrics file alone (so any run can be re-plotted)."""

from pathlib import Path
from typing import Any


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_es_curve(
    records: list[dict[str, Any]], path: Path, title: str, target: float | None = None
) -> Path:
    """Population and mean-policy returns against env steps and generations."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
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
        if target is not None:
            ax.axhline(target, color="gray", ls="--", lw=1, label=f"target {target:g}")
        ax.set_xlabel(label)
        ax.set_ylabel("episode return")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
