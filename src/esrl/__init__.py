"""esrl: Evolution Strategies for reinforcement learning.

Heavy modules load on first use, so `import esrl` and the CLI start fast.

Importing esrl before torch also makes torch's OpenMP threads sleep between
parallel regions (`OMP_WAIT_POLICY=PASSIVE`, unless already set). By default they
spin for a while after each forward pass, on the cores ALE's emulator threads
need next: on our 2-core machine the Atari learners ran 10% faster without the
spinning (A2C 766-805 against 709-711 agent steps/s, DQN 765-801 against
676-703; docs/benchmarks.md). Spinning for good (`OMP_WAIT_POLICY=ACTIVE`) made
the in-line learners 8-19% faster on one host but A2C's `--pipeline` a third
slower there, and on a slow AVX2 host sleeping was the fastest of the three, so
it stays the default; `bench/omp_wait_policy.py` measures a host.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["ESConfig", "load_params", "load_policy", "resume_es", "train_es"]


def __getattr__(name: str):
    if name == "ESConfig":
        from esrl.es.config import ESConfig

        return ESConfig
    if name in ("train_es", "resume_es"):
        from esrl.es import trainer

        return getattr(trainer, name)
    if name in ("load_params", "load_policy"):
        from esrl.es import saved

        return getattr(saved, name)
    raise AttributeError(f"module 'esrl' has no attribute {name!r}")
