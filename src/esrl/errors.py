"""Errors that are the user's to fix rather than bugs in esrl."""


class UserError(Exception):
    """Bad input: the CLI prints the message as one line on stderr and exits with code 2."""


class NonFiniteReturnError(UserError):
    """An environment produced a NaN or infinite return; it is never folded into an update."""
