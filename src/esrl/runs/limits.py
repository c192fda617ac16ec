"""Why a run stops, and the refusal to resume one that has already stopped.

A resume already at its limit would still take one update past it (the loops check
after each update) and save that; whoever resumes it meant to raise the limit.
"""

from pathlib import Path

from esrl.errors import UserError

_FLAGS = {
    "step limit": "--steps",
    "time limit": "--max-seconds",
    "generation limit": "--generations",
    "env-step limit": "--max-env-steps",
}


def budget_stop_reason(env_steps: int, steps: int, seconds: float, max_seconds: float) -> str:
    """The limit a step-budgeted run (A2C, DQN) has reached, or "" to go on."""
    if env_steps >= steps:
        return "step limit"
    if max_seconds and seconds >= max_seconds:
        return "time limit"
    return ""


def refuse_resume_past(where: Path, reason: str) -> None:
    """Refuse (UserError) to resume a run that `reason` says has already stopped."""
    if reason:
        raise UserError(
            f"{where} already reached its {reason}; resume with a larger {_FLAGS[reason]}"
        )
