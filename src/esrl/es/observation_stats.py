"""Running observation statistics, merged from every evaluation of a generation.

Workers return sums rather than means so that merging is exact addition, done by
the driver in task order: the result is the same whatever the number of workers.
"""

from dataclasses import dataclass

import numpy as np

STD_FLOOR_VARIANCE = 1e-2  # the starter's floor, keeps near-constant features bounded
CLIP = 5.0  # normalised observations are clipped to +-5, as in the starter


@dataclass(frozen=True)
class ObservationStats:
    sum: np.ndarray  # float64
    sumsq: np.ndarray  # float64
    count: float

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> "ObservationStats":
        return cls(np.zeros(shape), np.zeros(shape), 0.0)

    @classmethod
    def of(cls, observations: np.ndarray) -> "ObservationStats":
        obs = np.asarray(observations, dtype=np.float64)
        return cls(obs.sum(axis=0), np.square(obs).sum(axis=0), float(obs.shape[0]))

    def merged(self, other: "ObservationStats") -> "ObservationStats":
        return ObservationStats(
            self.sum + other.sum, self.sumsq + other.sumsq, self.count + other.count
        )

    @property
    def mean(self) -> np.ndarray:
        return self.sum / max(self.count, 1.0)

    @property
    def std(self) -> np.ndarray:
        variance = self.sumsq / max(self.count, 1.0) - np.square(self.mean)
        return np.sqrt(np.maximum(variance, STD_FLOOR_VARIANCE))

    def normalizer(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, 1/std) as float32, what a policy needs to normalise observations."""
        if self.count == 0:
            shape = self.sum.shape
            return np.zeros(shape, np.float32), np.ones(shape, np.float32)
        return self.mean.astype(np.float32), (1.0 / self.std).astype(np.float32)
