"""Learning on a worker thread while the envs play: the `--pipeline` option of A2C and DQN.

The trainer waits for the round of learning steps it started last, refreshes the
weights the envs act on, starts the next round and goes on playing. The players
act meanwhile on a copy of the weights from before that round, refreshed only
between rounds, so which weights play which step does not depend on thread timing
and a pipelined run is as reproducible as one in line.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch

Diagnostics = list[dict[str, float]]


class LearnerThread:
    """Runs rounds of learning steps in line, or (`background`) one at a time on a worker.

    `threads` sets the worker's own torch thread count (torch's thread count is kept
    per thread); 0 leaves it at what the worker inherits.
    """

    def __init__(self, background: bool, threads: int = 0):
        set_threads = (lambda: torch.set_num_threads(threads)) if threads else None
        self.pool = (
            ThreadPoolExecutor(1, "esrl-learner", initializer=set_threads) if background else None
        )
        self.pending: Future | None = None
        self.finished: Diagnostics = []

    def start(self, steps: Callable[[], Diagnostics]) -> None:
        """In line: take the steps now. In the background: hand them to the worker (call
        `wait` first; one round runs at a time)."""
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
