"""Opening an A2C or DQN run to resume it, and loading its checkpoint into fresh objects."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from esrl.configs import with_resume_overrides
from esrl.errors import UserError
from esrl.runs import RunDir, load_torch_state, refuse_resume_past
from esrl.runs.checkpoint import require_keys
from esrl.runs.loop import Limits


@contextmanager
def resume_torch_run(
    run_dir: Path | str,
    algo: str,
    config_cls: type,
    overrides: dict[str, Any] | None,
    state_keys: tuple[str, ...],
) -> Iterator[tuple[RunDir, Any, dict[str, Any]]]:
    """The run (locked), its config with `overrides` (resumable fields only) and its
    agent.pt state; a run that already reached its limits is refused."""
    with RunDir.open(run_dir).open_to_resume() as run:
        config = with_resume_overrides(run.read_config(algo, config_cls), overrides or {}, run.path)
        config.validate()
        state = load_torch_state(run.agent_path)
        if isinstance(state, dict) and "env_steps" not in state:
            raise UserError(f"{run.path} holds a policy alone (esrl export): it plays, not resumes")
        require_keys(state, state_keys, run.agent_path)
        limits = Limits(config.steps, config.max_seconds)
        refuse_resume_past(run.path, limits.reason(state["env_steps"], 0, state["seconds"]))
        yield run, config, state


@contextmanager
def checkpoint_fits(run: RunDir) -> Iterator[None]:
    """Turn a state dict that does not fit the objects built from the config into one line."""
    try:
        yield
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"checkpoint in {run.path} does not fit its config ({exc})") from None
