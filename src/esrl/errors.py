"""Errors that are the user's to fix rather than bugs in esrl."""


class UserError(Exception):
    """Bad input: the CLI prints the message as one line on stderr and exits with code 2."""


class NonFiniteError(UserError):
    """A NaN or infinite value (a reward, an observation, a weight): training stops
    before it reaches a checkpoint, so the last checkpoint stays usable."""


class NonFiniteReturnError(NonFiniteError):
    """An environment produced a NaN or infinite return; it is never folded into an update."""


def require_finite(values, what: str) -> None:
    """Raise NonFiniteError naming `what` and the first bad value, if there is one."""
    import numpy as np

    values = np.asarray(values)
    if values.size and not np.isfinite(values).all():
        bad = values[~np.isfinite(values)].flat[0]
        raise NonFiniteError(f"{what} became non-finite ({bad}); the last checkpoint is kept")
