"""The one place where rareflow's errors become exit statuses.

Every command is wrapped in `guarded`: a `UserError` (a user's mistake) or `SolveFailure`
prints one line on stderr and exits with status 2; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer

from rareflow.errors import USER_ERROR_EXIT, RareflowError, one_line

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print `error: message` on one line (whatever the terminal width) and exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USER_ERROR_EXIT)


def guarded(func: F) -> F:
    """`func` with rareflow's errors turned into one line and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RareflowError as exc:
            fail(one_line(exc))

    return wrapper  # type: ignore[return-value]


@contextmanager
def user_errors() -> Iterator[None]:
    """The body of a command with rareflow's errors turned into one line and exit status 2."""
    try:
        yield
    except RareflowError as exc:
        fail(one_line(exc))
