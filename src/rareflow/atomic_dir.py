"""Write a directory of files so that readers see the old one or the new one, never a mix.

Files go into a temporary directory beside the target (same file system, so renames are atomic);
when the writer finishes, the old directory is moved aside, the new one renamed into place and
the old one deleted. If the writer fails, the temporary directory is removed and the target is
untouched. A target that holds something other than a previous result is refused, not deleted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rareflow.errors import UserError


class TargetError(UserError):
    """The target exists and is not something this writer may replace."""


def check_target(target: Path, marker: str) -> None:
    """Refuse a target that is a file, or a non-empty directory without `marker`."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise TargetError(f"{target}: exists and is not a directory; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).exists():
        raise TargetError(
            f"{target}: exists and is not a rareflow result directory (no {marker}); "
            "choose another --out or remove it"
        )


@contextmanager
def atomic_dir(target: str | Path, marker: str = "summary.json") -> Iterator[Path]:
    """A fresh directory to write into; swapped in for `target` when the block ends normally.

    A previous result directory at `target` (one holding `marker`) is replaced whole.
    """
    target = Path(target)
    check_target(target, marker)
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        yield tmp
        _swap(tmp, target.absolute())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(new: Path, target: Path) -> None:
    old: Path | None = new.with_name(new.name.replace(".tmp-", ".old-"))
    try:
        os.rename(target, old)  # type: ignore[arg-type]
    except FileNotFoundError:
        old = None
    # another writer may have swapped in between: the last one to finish wins, whole
    for _ in range(3):
        try:
            os.rename(new, target)
            break
        except OSError:
            if not target.is_dir():
                raise
            shutil.rmtree(target, ignore_errors=True)
    else:
        os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
