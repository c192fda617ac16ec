"""Run directories: config, metrics, checkpoints, plots and videos of one run."""

from esrl.runs.checkpoint import (
    load_checkpoint,
    load_torch_state,
    save_checkpoint,
    save_torch_state,
)
from esrl.runs.limits import (
    StopOnSigterm,
    refuse_resume_past,
)
from esrl.runs.run_dir import RunDir

__all__ = [
    "RunDir",
    "StopOnSigterm",
    "load_checkpoint",
    "load_torch_state",
    "refuse_resume_past",
    "save_checkpoint",
    "save_torch_state",
]
