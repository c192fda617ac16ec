"""What a remote worker needs to follow the ES state without receiving parameters.

The driver evaluates a `Snapshot`: the strategy state, the observation statistics,
and the `Update` (noise indices and returns of one `tell`) that produced them from
the previous snapshot. A `Replica` on a worker replays updates with the same pure
`tell`, so per generation only O(population) numbers travel, never O(parameters).
A `digest` of the result tells the worker whether its copy still matches the
driver's; if not (a late joiner, a restarted process, a CPU whose float rounding
differs), the driver sends the whole state once: a resync.
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from esrl.es.config import ESConfig
from esrl.es.noise import NoiseTable
from esrl.es.observation_stats import ObservationStats
from esrl.es.optimizers import make_optimizer
from esrl.es.strategy import ESState, OpenAIES


@dataclass(frozen=True)
class Update:
    """One `tell`: the state at `generation` plus these returns gives generation + 1."""

    generation: int
    indices: np.ndarray  # int64, one per antithetic pair
    returns: np.ndarray  # float64 (pairs, 2)
    obs_stats: ObservationStats  # this generation's observation sums, merged after tell


@dataclass(frozen=True)
class Snapshot:
    state: ESState
    obs_stats: ObservationStats
    update: Update | None = None  # how `state` followed from the previous snapshot, if known

    @property
    def generation(self) -> int:
        return self.state.generation

    def normalizer(self, enabled: bool) -> tuple[np.ndarray, np.ndarray] | None:
        return self.obs_stats.normalizer() if enabled else None

    def digest(self) -> bytes:
        """16 bytes that change if any parameter, moment or statistic changes by one bit."""
        h = hashlib.blake2b(digest_size=16)
        h.update(np.int64([self.state.generation, self.state.optimizer.t]).tobytes())
        for array in (self.state.params, self.state.optimizer.m, self.state.optimizer.v):
            h.update(np.ascontiguousarray(array).tobytes())
        stats = self.obs_stats
        h.update(np.ascontiguousarray(stats.sum).tobytes())
        h.update(np.ascontiguousarray(stats.sumsq).tobytes())
        h.update(np.float64(stats.count).tobytes())
        return h.digest()


def build_strategy(config: ESConfig, noise: NoiseTable, num_params: int) -> OpenAIES:
    return OpenAIES(
        noise=noise,
        num_params=num_params,
        pairs=config.pairs,
        sigma=config.sigma,
        optimizer=make_optimizer(config.optimizer, config.learning_rate, config.momentum),
        l2_coeff=config.l2_coeff,
        seed=config.seed,
        top_directions=config.top_directions,
        fitness=config.fitness,
    )


def advance(strategy: OpenAIES, snapshot: Snapshot, update: Update) -> Snapshot:
    """The one definition of a generation's update, used by the driver and every replica."""
    if update.generation != snapshot.generation:
        raise ValueError(
            f"update for generation {update.generation} applied to generation {snapshot.generation}"
        )
    state = strategy.tell(snapshot.state, update.indices, update.returns)
    return Snapshot(state, snapshot.obs_stats.merged(update.obs_stats), update)


class Replica:
    """A worker's copy of the driver's snapshot, kept in step by replaying updates."""

    def __init__(self, strategy: OpenAIES):
        self.strategy = strategy
        self.snapshot: Snapshot | None = None

    def sync(self, snapshot: Snapshot) -> None:
        self.snapshot = Snapshot(snapshot.state, snapshot.obs_stats)

    def catch_up(self, generation: int, digest: bytes, updates: list[Update]) -> bool:
        """Replay `updates` up to `generation`; False if the result is not the driver's."""
        if self.snapshot is None:
            return False
        for update in updates:
            if update.generation == self.snapshot.generation:
                self.snapshot = advance(self.strategy, self.snapshot, update)
        return self.snapshot.generation == generation and self.snapshot.digest() == digest
