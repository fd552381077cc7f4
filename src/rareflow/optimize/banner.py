"""HiGHS prints its name and licence line to stdout when a process makes its first solver
object, whatever the solver options say (they can only be set on an object once it exists).
rareflow's commands print tables and JSON on stdout, so the first object is made here with
stdout pointed at the null device; later objects print nothing unless asked to."""

from __future__ import annotations

import functools
import os
import sys

import highspy


@functools.cache
def quiet_highs_banner() -> None:
    """Make the process's first HiGHS object with stdout closed (once; a no-op after)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no file descriptor 1 (an embedding host): leave it be
        highspy.Highs()
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
