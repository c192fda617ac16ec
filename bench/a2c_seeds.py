"""A2C on SpaceInvaders over several seeds: esrl against Stable-Baselines3, side by side.

    .venv/bin/python bench/a2c_atari.py --steps 300k --seed N --data docs/data/a2c   # per seed
    .venv/bin/python bench/a2c_seeds.py docs/data/a2c [--plot docs/a2c_seeds.png]
    .venv/bin/python bench/a2c_seeds.py docs/data/a2c-pipeline-truncated --sb3-from docs/data/a2c \
        --esrl-from docs/data/a2c --esrl-name "in line" --plot docs/a2c_pipeline_truncated_seeds.png
        # esrl --pipeline alone (--only esrl), against SB3 and esrl in line on the same seeds

One seed's last-100-games score swings by more than the gap between the libraries
(esrl measured 222.4-278.4 over thirty seeds at 300k steps), so "a learning curve at
least as good" is judged here on all the seeds `a2c_atari.py` left in the data
folder (`seedN.json`, each with one or both sides). Prints each side's final score
per seed, their means with standard deviations, the paired differences with a 95%
t-interval (and its lower end as a share of SB3's mean), the same for the whole
curve's mean (area under the curve), and plots the mean curves with a band spanning
the seeds.
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np

# two-sided 95% Student t quantiles by degrees of freedom (scipy is not a dependency);
# between entries the smaller df's value is used, which widens the interval
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}
T95 |= {10: 2.23, 12: 2.18, 15: 2.13, 20: 2.09, 30: 2.04}


def load(folder: Path) -> dict[int, dict]:
    runs = {}
    for path in sorted(folder.glob("seed*.json")):
        data = json.loads(path.read_text())
        runs[int(data["seed"])] = data
    if not runs:
        raise SystemExit(f"no seedN.json files in {folder}")
    return dict(sorted(runs.items()))


def interval(values: list[float], reference: float | None = None, name: str = "sb3") -> str:
    """mean +- half-width of the 95% t-interval (n >= 2).

    With a reference (e.g. SB3's mean), also gives the interval's lower end as a share of
    it: "at least as good" within a margin of m% holds when that share is above -m%.
    """
    n = len(values)
    if n < 2:
        return f"{values[0]:+.1f} (one seed)" if values else "no seeds"
    t = T95[max(df for df in T95 if df <= n - 1)]
    half = t * np.std(values, ddof=1) / math.sqrt(n)
    mean = np.mean(values)
    text = f"{mean:+.1f} +- {half:.1f}"
    if reference:
        low = mean - half
        share = 100 * low / reference
        text += f"   (lower end {low:+.1f} = {share:+.1f}% of {name}'s {reference:.1f})"
    return text


def compare(figures: dict[int, dict], other: str) -> None:
    """esrl minus `other` over the seeds both ran, final score and curve mean."""
    paired = [by_side for by_side in figures.values() if "esrl" in by_side and other in by_side]
    print(f"esrl - {other} over {len(paired)} paired seeds (95% t-interval):")
    for label, i in (("final score", 0), ("curve mean ", 1)):
        gaps = [f["esrl"][i] - f[other][i] for f in paired]
        reference = float(np.mean([f[other][i] for f in paired])) if paired else None
        print(f"  {label}  {interval(gaps, reference, other)}")


def plot(runs: dict[int, dict], labels: dict[str, str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for side, label in labels.items():
        curves = [np.array(r[side]["curve"]) for r in runs.values() if side in r]
        if not curves:
            continue
        length = min(len(c) for c in curves)
        steps = curves[0][:length, 0] / 1e6
        scores = np.stack([c[:length, 1] for c in curves])
        (line,) = ax.plot(steps, scores.mean(0), lw=2, label=f"{label}, mean of {len(curves)}")
        ax.fill_between(steps, scores.min(0), scores.max(0), color=line.get_color(), alpha=0.2)
    ax.set_xlabel("env steps, all 8 envs (millions)")
    ax.set_ylabel("raw score, mean of last 100 games")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--plot", type=Path, help="draw the mean curves into this PNG")
    parser.add_argument(
        "--sb3-from",
        type=Path,
        help="take SB3's side from this folder's seedN.json where FOLDER's has none "
        "(esrl with --pipeline against the in-line runs' SB3 curves)",
    )
    parser.add_argument(
        "--esrl-from",
        type=Path,
        help="add this folder's esrl side as a third and compare esrl with it (esrl "
        "--pipeline or --rmsprop tf against the default esrl on the same seeds)",
    )
    parser.add_argument(
        "--esrl-name", help="what to call that third side (default: its folder's name)"
    )
    parser.add_argument("--title", help="the plot's title (default: game, seeds, machine)")
    args = parser.parse_args()
    runs = load(args.folder)
    if args.sb3_from:
        for seed, other in load(args.sb3_from).items():
            if seed in runs and "sb3" in other:
                runs[seed].setdefault("sb3", other["sb3"])
    third = args.esrl_name or (args.esrl_from.name if args.esrl_from else None)
    if args.esrl_from:
        for seed, other in load(args.esrl_from).items():
            if seed in runs and "esrl" in other:
                runs[seed][third] = other["esrl"]
    sides = ["esrl", "sb3"] + ([third] if third else [])
    sides = [side for side in sides if any(side in run for run in runs.values())]
    # (final score, curve mean) for each seed and side that ran
    figures = {
        seed: {
            side: (run[side]["score_mean100"], float(np.array(run[side]["curve"])[:, 1].mean()))
            for side in sides
            if side in run
        }
        for seed, run in runs.items()
    }
    print("seed  " + "  ".join(f"{s:>18}" for s in sides) + "   (final score / curve mean)")
    for seed, by_side in figures.items():
        cells = [
            "{:8.1f} / {:7.1f}".format(*by_side[side]) if side in by_side else f"{'-':>18}"
            for side in sides
        ]
        print(f"{seed:4d}  " + "  ".join(cells))
    for side in sides:
        values = [by_side[side][0] for by_side in figures.values() if side in by_side]
        if values:
            spread = f", sd {np.std(values, ddof=1):.1f}" if len(values) > 1 else ""
            mean = np.mean(values)
            print(f"{side}: final score mean {mean:.1f}{spread} over {len(values)} seeds")
    for other in sides[1:]:
        compare(figures, other)
    if not args.plot:
        return
    title = args.title or f"A2C on SpaceInvaders, {len(runs)} seeds, this machine"
    labels = {side: side for side in sides}
    if third:  # two esrl sides: FOLDER's by its folder, the other by --esrl-name
        labels["esrl"] = f"esrl ({args.folder.name})"
        labels[third] = f"esrl ({third})"
    plot(runs, labels, args.plot, title)
    print(f"mean curves: {args.plot}")


if __name__ == "__main__":
    main()
