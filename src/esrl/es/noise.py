"""The shared noise table: one block of Gaussian noise per machine.

A perturbation is the slice `table[i : i + num_params]`, so it travels as the
integer `i`. The table is a file under /dev/shm (RAM-backed) memory-mapped
read-only by every process: all workers on a machine read the same pages, and a
second run on the same machine attaches instead of regenerating it.
"""

import fcntl
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from esrl.errors import UserError
from esrl.es.config import NOISE_SIZE


def default_directory() -> Path:
    """Where tables live: $ESRL_NOISE_DIR, else /dev/shm if usable, else the temp dir."""
    return _candidates()[0]


def _candidates() -> list[Path]:
    """Directories to try in order: $ESRL_NOISE_DIR alone if set (the user chose it),
    else /dev/shm (RAM) and then the temp dir, for a /dev/shm too small for the table
    (Docker's default is 64 MB)."""
    configured = os.environ.get("ESRL_NOISE_DIR")
    if configured:
        return [Path(configured)]
    shm = Path("/dev/shm")
    places = [shm] if shm.is_dir() and os.access(shm, os.W_OK) else []
    return [*places, Path(tempfile.gettempdir())]


def _free_bytes(directory: Path) -> int:
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


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
        cls, seed: int, size: int = NOISE_SIZE, directory: Path | None = None
    ) -> "NoiseTable":
        """Attach to this machine's table for (seed, size), creating it once if needed.

        Creation is serialised by a lock file and published by an atomic rename, so
        concurrent workers never see a half-written table. The space is reserved before
        writing: a full tmpfs gives an error here, never a SIGBUS in the middle.
        """
        places = [Path(directory)] if directory else _candidates()
        name = f"esrl-noise-seed{seed}-size{size}.f32"
        for place in places:
            if _is_complete(place / name, size):
                return cls._attach(place / name, seed, size)
        needed = size * 4
        for place in places:
            try:
                place.mkdir(parents=True, exist_ok=True)
                path = place / name
                with open(path.with_suffix(".lock"), "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    _remove_orphans(place)
                    if not _is_complete(path, size):
                        if _free_bytes(place) < needed:
                            continue
                        _write_table(path, seed, size)
            except OSError:  # no room after all, or not writable: try the next place
                continue
            if place != places[0]:
                sys.stderr.write(
                    f"esrl: {places[0]} has no room for the {needed / 2**20:.0f} MiB noise "
                    f"table; it is in {place} instead\n"
                )
            return cls._attach(path, seed, size)
        free = ", ".join(
            f"{p} has {_free_bytes(p) / 2**20:.0f} MiB free" for p in places if p.is_dir()
        )
        raise UserError(
            f"no room for the {needed / 2**20:.0f} MiB noise table ({free or 'no directory'}); "
            "set ESRL_NOISE_DIR to a larger directory or choose a smaller --noise-size"
        )

    @classmethod
    def _attach(cls, path: Path, seed: int, size: int) -> "NoiseTable":
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
        with open(tmp, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, size * 4)  # ENOSPC now rather than SIGBUS later
        data = np.memmap(tmp, dtype=np.float32, mode="r+", shape=(size,))
        np.random.default_rng(seed).standard_normal(out=data, dtype=np.float32)
        data.flush()
        del data
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_orphans(place: Path) -> None:
    """Delete partial tables left by writers that were killed (their PID is gone)."""
    for tmp in place.glob("esrl-noise-*.f32.*.tmp"):
        pid = tmp.suffixes[-2].lstrip(".")
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
