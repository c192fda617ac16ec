"""One way to use any saved run: `load_policy(RUN_DIR).act(obs)`.

Whatever algorithm made the run, the policy acts on raw observations of the env the
run trained on (Atari: the frames of `esrl.envs.atari.make_atari` with the run's
frame options), one observation or a batch, and returns an action or a batch of
actions. `deterministic` picks the greedy action where the algorithm samples (A2C)
or explores (DQN at its evaluation epsilon); ES's mean policy is deterministic.
"""

from pathlib import Path
from typing import Protocol

import numpy as np


class Policy(Protocol):
    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray: ...


def load_policy(run_dir: Path | str, seed: int = 0) -> Policy:
    """The latest policy of an ES, A2C or DQN run; `seed` seeds its sampling."""
    from esrl.runs import RunDir

    algo = RunDir.open(run_dir).algo()
    if algo == "es":
        from esrl.es.saved import load_policy as load
    elif algo == "a2c":
        from esrl.a2c.saved import load_policy as load
    elif algo == "dqn":
        from esrl.dqn.saved import load_policy as load
    else:
        from esrl.errors import UserError

        raise UserError(f"{run_dir} holds a run of unknown algorithm {algo!r}")
    return load(run_dir, seed=seed) if algo != "es" else load(run_dir)
