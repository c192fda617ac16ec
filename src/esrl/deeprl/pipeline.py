"""Learning on a worker thread while the envs play: the `--pipeline` option of A2C and DQN.

`Learner.learn` waits for the round of learning steps it started last, refreshes
the weights the envs act on (`sync`), starts the next round and returns, so the
envs go on playing meanwhile. They act on a copy of the weights from before that
round, refreshed only between rounds, so which weights play which step does not
depend on thread timing and a pipelined run is as reproducible as one in line.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch

Diagnostics = list[dict[str, float]]


class Learner:
    """Runs rounds of learning steps in line, or (`background`) one at a time on a worker.

    `threads` sets the worker's own torch thread count (torch's thread count is kept
    per thread); 0 leaves it at what the worker inherits. `sync` copies the learned
    weights to the acting ones; it runs between rounds, when no step is running.
    """

    def __init__(self, background: bool, threads: int = 0, sync: Callable[[], None] | None = None):
        set_threads = (lambda: torch.set_num_threads(threads)) if threads else None
        self.pool = (
            ThreadPoolExecutor(1, "esrl-learner", initializer=set_threads) if background else None
        )
        self.sync = sync
        self.pending: Future | None = None
        self.finished: Diagnostics = []

    def learn(self, steps: Callable[[], Diagnostics]) -> Diagnostics:
        """Finish the last round, sync the acting weights, start `steps` (in line: take
        them now); returns the diagnostics of the rounds finished since the last call."""
        finished = self.wait()
        if self.sync is not None:
            self.sync()
        self.start(steps)
        return finished

    def start(self, steps: Callable[[], Diagnostics]) -> None:
        """Take `steps` now, or hand them to the worker (after `wait`: one round at a time)."""
        if self.pool is None:
            self.finished.extend(steps())
            return
        assert self.pending is None, "wait() for the running round first"
        self.pending = self.pool.submit(steps)

    def wait(self) -> Diagnostics:
        """Diagnostics of every round finished since the last call, the running one included."""
        if self.pending is not None:
            self.finished.extend(self.pending.result())
            self.pending = None
        finished, self.finished = self.finished, []
        return finished

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
