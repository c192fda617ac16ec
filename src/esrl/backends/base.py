"""The backend interface and the factory that picks one from a config."""

from typing import Protocol

import numpy as np

from esrl.es.config import ESConfig
from esrl.es.evaluation import Task, TaskResult


class Backend(Protocol):
    def evaluate(
        self, params: np.ndarray, obs_norm: tuple[np.ndarray, np.ndarray] | None, tasks: list[Task]
    ) -> list[TaskResult]:
        """Results for `tasks`, in the same order."""
        ...

    def close(self) -> None: ...


def make_backend(config: ESConfig) -> Backend:
    if config.backend == "serial":
        from esrl.backends.serial import SerialBackend

        return SerialBackend(config)
    if config.backend == "process":
        from esrl.backends.process import ProcessBackend

        return ProcessBackend(config)
    raise ValueError(f"unknown backend {config.backend!r}")
