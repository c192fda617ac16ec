"""Why a run stops, how far it is from stopping, and the refusal to resume one that has.

A resume already at its limit would still take one update past it (the loops check
after each update) and save that; whoever resumes it meant to raise the limit.
"""

import math
import signal
import threading
from pathlib import Path

from esrl.errors import UserError

_FLAGS = {
    "step limit": "--steps",
    "time limit": "--max-seconds",
    "generation limit": "--generations",
}


class StopOnSigterm:
    """SIGTERM (`kill`, a scheduler's preemption) and SIGINT (Ctrl-C) as one more limit,
    until `close()`.

    The first signal only sets `reason` to "SIGTERM" or "SIGINT": the loop stops at
    its next check and saves as at any limit, so an A2C or DQN run loses nothing of
    the minute since its last checkpoint. A second signal acts as it would without
    this (TERM ends the process, Ctrl-C raises KeyboardInterrupt). Python takes
    signals in the main thread only; elsewhere this does nothing.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.reason = ""
        self._previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                # None means a handler set outside Python, which cannot be put back
                self._previous[signum] = signal.signal(signum, self._handle) or signal.SIG_DFL

    def _handle(self, signum, frame) -> None:
        self.reason = signal.Signals(signum).name
        signal.signal(signum, self._previous[signum])

    def close(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}


def limits_progress(done_and_left: list[tuple[float, float]]) -> str:
    """'37.5% done, 1:02:03 left' for the limit that comes first, from (fraction done,
    seconds left) per limit that applies; '' if none does."""
    if not done_and_left:
        return ""
    done = max(d for d, _ in done_and_left)
    left = min(s for _, s in done_and_left)
    return f"{min(done, 1.0):.1%} done, {_clock(max(left, 0.0))} left"


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def refuse_resume_past(where: Path, reason: str) -> None:
    """Refuse (UserError) to resume a run that `reason` says has already stopped."""
    if reason:
        raise UserError(
            f"{where} already reached its {reason}; resume with a larger {_FLAGS[reason]}"
        )
