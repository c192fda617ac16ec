"""One way to use any saved run: `load_policy(RUN_DIR).act(obs)`.

Whatever algorithm made the run, the policy acts on raw observations of the env the
run trained on (Atari: the frames of `esrl.envs.atari.make_atari` with the run's
frame options), one observation or a batch, and returns an action or a batch of
actions. `deterministic` picks the greedy action where the algorithm samples (A2C)
or explores (DQN at its evaluation epsilon); ES's mean policy is deterministic.
"""

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from esrl.errors import UserError

if TYPE_CHECKING:  # numpy loads with a policy, not with the `esrl` command
    import numpy as np


class Policy(Protocol):
    def act(self, obs: "np.ndarray", deterministic: bool = True) -> "np.ndarray": ...


def saved_module(run_dir: Path | str) -> ModuleType:
    """The `saved` module of the algorithm that made `run_dir` (load, evaluate, plot)."""
    from esrl.runs import RunDir

    algo = RunDir.open(run_dir).algo()
    if algo not in ("es", "a2c", "dqn"):
        raise UserError(f"{run_dir} holds a run of unknown algorithm {algo!r}")
    return importlib.import_module(f"esrl.{algo}.saved")


def load_policy(run_dir: Path | str, seed: int = 0) -> Policy:
    """The latest policy of an ES, A2C or DQN run; `seed` seeds its sampling."""
    return saved_module(run_dir).load_policy(run_dir, seed=seed)


def export_policy(run_dir: Path | str, out: Path | str) -> Path:
    """A copy of the run that plays but does not resume, to share a model: its config,
    metrics and learning curve, and the policy's weights alone (A2C and DQN leave out
    the optimizer, DQN its target network and replay). `load_policy`, `esrl eval` and
    `esrl plot` take it like the run."""
    import shutil

    from esrl.runs import RunDir

    run, out = RunDir.open(run_dir), Path(out)
    if not run.started():
        raise UserError(f"{run.path} has saved no policy yet")
    RunDir.check_new(out)
    out.mkdir(parents=True, exist_ok=True)
    for path in (run.config_path, run.metrics_path, run.curve_path):
        if path.is_file():
            shutil.copy2(path, out / path.name)
    saved_module(run_dir).export_weights(run, RunDir(out))
    return out
