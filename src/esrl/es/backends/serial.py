"""Everything in the calling process: the reference for all other backends."""

from esrl.es.config import ESConfig
from esrl.es.evaluation import Evaluator, Task, TaskResult
from esrl.es.noise import NoiseTable
from esrl.es.replica import Snapshot


class SerialBackend:
    split = 1  # one task: EnvPool's threads step the whole population

    def __init__(self, config: ESConfig):
        self.config = config
        self.evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))

    def evaluate(self, snapshot: Snapshot, tasks: list[Task]) -> list[TaskResult]:
        params, obs_norm = snapshot.state.params, snapshot.normalizer(self.config.obs_norm)
        return [self.evaluator.evaluate(params, obs_norm, task) for task in tasks]

    def transport_stats(self) -> dict[str, float]:
        return {}

    def close(self) -> None:
        self.evaluator.close()
