"""Run directories: config, metrics, checkpoints, plots and videos of one run."""

from esrl.runs.checkpoint import load_checkpoint, save_checkpoint
from esrl.runs.run_dir import RunDir

__all__ = ["RunDir", "load_checkpoint", "save_checkpoint"]
