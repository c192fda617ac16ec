"""What an A2C run and a DQN run share as `Algorithm`s of the run loop."""

import math

import numpy as np

from esrl.deeprl.pipeline import Diagnostics, Learner
from esrl.deeprl.runner import EnvRunner
from esrl.runs.loop import Algorithm
from esrl.threads import TorchThreads


class LearnerRun(Algorithm):
    """An `EnvRunner` playing an env batch, a `Learner` (in line or `--pipeline`) and
    torch's thread count for the run. Subclasses set `env`, `runner`, `learner` and
    `threads` in their constructor."""

    return_key = "score_mean100"
    env = None
    runner: EnvRunner
    learner: Learner
    threads: TorchThreads

    @property
    def env_steps(self) -> int:
        return self.runner.step_var

    def settle(self) -> Diagnostics:
        return self.learner.wait()

    def score_mean100(self) -> float:
        """Mean raw score of the last 100 finished games (NaN before the first)."""
        scores = self.runner.game_scores
        return float(np.mean(scores)) if len(scores) else math.nan

    def close(self) -> None:
        self.learner.close()
        if self.env is not None:
            self.env.close()
        self.threads.restore()
