"""The one root of rareflow's exceptions.

`UserError` and its subclasses are a user's mistake (a bad file, option or value): the command
line prints their message as one line and exits with status 2; the service answers 4xx.
`SolveFailure` says the solver could not produce a sound result for valid input (also exit 2,
with "the solve failed: ..."). Any other exception is a bug and may show a traceback.

This module imports nothing from rareflow, so every package may import it.
"""

from __future__ import annotations

# exit status of a command refused for a user's mistake (and of a failed solve)
USER_ERROR_EXIT = 2


class RareflowError(Exception):
    """Root of every exception rareflow raises on purpose."""


class UserError(RareflowError):
    """A user's mistake: printed as one line, exit status 2."""


class SolveFailure(RareflowError):
    """Valid input the solver could not turn into a sound result (infeasible, unbalanced)."""


def one_line(exc: BaseException) -> str:
    """The message the command line prints for `exc` (without the `error: ` prefix)."""
    text = " ".join(str(exc).split("\n")).strip()
    if isinstance(exc, SolveFailure):
        return f"the solve failed: {text}"
    return text
