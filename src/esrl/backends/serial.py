"""Everything in the calling process: the reference for all other backends."""

import numpy as np

from esrl.es.config import ESConfig
from esrl.es.evaluation import Evaluator, Task, TaskResult
from esrl.es.noise import NoiseTable


class SerialBackend:
    def __init__(self, config: ESConfig):
        self.evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))

    def evaluate(
        self, params: np.ndarray, obs_norm: tuple[np.ndarray, np.ndarray] | None, tasks: list[Task]
    ) -> list[TaskResult]:
        return [self.evaluator.evaluate(params, obs_norm, task) for task in tasks]

    def close(self) -> None:
        self.evaluator.close()
