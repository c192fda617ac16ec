"""The backend interface and the factory that picks one from a config."""

from typing import Protocol

from esrl.es.config import ESConfig
from esrl.es.evaluation import Task, TaskResult
from esrl.es.replica import Snapshot


class Backend(Protocol):
    split: int  # tasks a generation is cut into (any split, same result)

    def evaluate(self, snapshot: Snapshot, tasks: list[Task]) -> list[TaskResult]:
        """Results for `tasks` played with the mean policy of `snapshot`, in task order."""
        ...

    def transport_stats(self) -> dict[str, float]:
        """Counters since the last call (bytes, workers, nodes) for the metrics log."""
        ...

    def close(self) -> None: ...


def make_backend(config: ESConfig) -> Backend:
    if config.backend == "serial":
        from esrl.es.backends.serial import SerialBackend

        return SerialBackend(config)
    if config.backend == "process":
        from esrl.es.backends.process import ProcessBackend

        return ProcessBackend(config)
    if config.backend == "ray":
        from esrl.es.backends.ray_cluster import RayBackend

        return RayBackend(config)
    raise ValueError(f"unknown backend {config.backend!r}")
