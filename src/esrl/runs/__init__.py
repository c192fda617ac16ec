"""Run directories: config, metrics, checkpoints, plots and videos of one run."""

from esrl.runs.checkpoint import (
    load_checkpoint,
    load_torch_state,
    save_checkpoint,
    save_torch_state,
)
from esrl.runs.run_dir import RunDir

__all__ = [
    "RunDir",
    "load_checkpoint",
    "load_torch_state",
    "save_checkpoint",
    "save_torch_state",
]
