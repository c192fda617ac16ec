"""The shared noise table: one block of Gaussian noise per machine.

A perturbation is the slice `table[i : i + num_params]`, so it travels as the
integer `i`. The table is a file under /dev/shm (RAM-backed) memory-mapped
read-only by every process: all workers on a machine read the same pages, and a
second run on the same machine attaches instead of regenerating it.
"""

import fcntl
import os
import tempfile
from pathlib import Path

import numpy as np

DEFAULT_SIZE = 2**25  # 32M float32 = 128 MiB; fine on a 24 GiB laptop, 25x the Pong CNN


def default_directory() -> Path:
    """Where tables live: $ESRL_NOISE_DIR, else /dev/shm if usable, else the temp dir."""
    configured = os.environ.get("ESRL_NOISE_DIR")
    if configured:
        return Path(configured)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


class NoiseTable:
    def __init__(self, table: np.ndarray, seed: int):
        self.table = table
        self.seed = seed

    def __len__(self) -> int:
        return self.table.size

    @classmethod
    def in_memory(cls, seed: int, size: int) -> "NoiseTable":
        """A private table, for tests and one-off use; same values as the shared one."""
        return cls(np.random.default_rng(seed).standard_normal(size, dtype=np.float32), seed)

    @classmethod
    def shared(
        cls, seed: int, size: int = DEFAULT_SIZE, directory: Path | None = None
    ) -> "NoiseTable":
        """Attach to this machine's table for (seed, size), creating it once if needed.

        Creation is serialised by a lock file and published by an atomic rename, so
        concurrent workers never see a half-written table.
        """
        directory = Path(directory) if directory else default_directory()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"esrl-noise-seed{seed}-size{size}.f32"
        if not _is_complete(path, size):
            with open(path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not _is_complete(path, size):
                    _write_table(path, seed, size)
        return cls(np.memmap(path, dtype=np.float32, mode="r", shape=(size,)), seed)

    def get(self, index: int, dim: int) -> np.ndarray:
        return self.table[index : index + dim]

    def sample_indices(self, rng: np.random.Generator, dim: int, count: int) -> np.ndarray:
        if dim > self.table.size:
            raise ValueError(
                f"noise table of {self.table.size} floats is smaller than {dim} params"
            )
        return rng.integers(0, self.table.size - dim + 1, size=count, dtype=np.int64)

    def stack(self, indices: np.ndarray, dim: int) -> np.ndarray:
        """Rows `table[i : i + dim]` for each index, as one (len(indices), dim) array."""
        out = np.empty((len(indices), dim), dtype=np.float32)
        for row, index in enumerate(indices):
            out[row] = self.table[index : index + dim]
        return out


def _is_complete(path: Path, size: int) -> bool:
    return path.exists() and path.stat().st_size == size * 4


def _write_table(path: Path, seed: int, size: int) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        data = np.memmap(tmp, dtype=np.float32, mode="w+", shape=(size,))
        np.random.default_rng(seed).standard_normal(out=data, dtype=np.float32)
        data.flush()
        del data
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
