"""What the A2C and DQN benches share: each side in its own process, SB3's training curve,
and one plot of both.

A bench module must not import esrl at its top: `run_side` imports it in a fresh
process for one side only. Importing esrl sets torch's OpenMP threads to sleep when
idle (`OMP_WAIT_POLICY=PASSIVE`, see `esrl/__init__.py`); SB3's side runs without
esrl and without that variable, at torch's own default, as SB3's users run it. If
OMP_WAIT_POLICY was set when the bench started (`OMP_WAIT_POLICY=ACTIVE python
bench/...`), both sides run with it: the hosts disagree on which policy is faster.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

RESULT_TAG = "SIDE-RESULT "
USER_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY")  # before anything imports esrl


def run_side(module: str, function: str, library: str, **kwargs) -> dict:
    """`module.function(**kwargs)` in a fresh Python process (its output streamed here);
    returns the dict it returned. `library` "sb3" runs without esrl's OMP_WAIT_POLICY."""
    env = dict(os.environ)
    if library == "sb3" and USER_WAIT_POLICY is None:
        env.pop("OMP_WAIT_POLICY", None)
    policy = env.get("OMP_WAIT_POLICY", "unset: torch's default")
    print(f"{library} side: OMP_WAIT_POLICY {policy}", flush=True)
    code = (
        f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"import {module}; result = {module}.{function}(**json.loads(sys.argv[1])); "
        f"print({RESULT_TAG!r} + json.dumps(result), flush=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(kwargs)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    result = None
    for line in proc.stdout:
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG) :])
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"{library} side of the bench failed (exit {proc.returncode})")
    return result


def sb3_curve_callback(every: int):
    """An SB3 callback that records (env steps, mean of its last 100 episodes) every `every`."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Curve(BaseCallback):
        def __init__(self):
            super().__init__()
            self.next_log, self.points = every, []

        def _on_step(self) -> bool:
            if self.num_timesteps >= self.next_log:
                scores = [info["r"] for info in self.model.ep_info_buffer]
                mean = float(np.mean(scores)) if scores else float("nan")
                self.points.append((self.num_timesteps, mean))
                self.next_log += every
                print(f"sb3 steps {self.num_timesteps:>10,}  score(100) {mean:8.1f}", flush=True)
            return True

    return Curve()


def plot_versus(
    results: dict,
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    baseline: tuple[str, float] | None = None,
) -> None:
    """One score curve per library (label with its steps/s), an optional dashed baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for name, result in results.items():
        x, y = zip(*result["curve"], strict=True) if result["curve"] else ((), ())
        label = f"{name} ({result['steps_per_second']:,.0f} steps/s)"
        ax.plot(np.array(x) / 1e6, y, label=label, lw=2)
    if baseline:
        name, value = baseline
        ax.axhline(value, color="gray", ls="--", label=f"{name} ({value:.0f})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
