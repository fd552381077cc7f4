"""Ctrl-C during `rareflow run`: one line, exit 130, and the --out directory as it was."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

# the progress bar's label once a window of the solve is done (rich draws it on a terminal)
SOLVING = re.compile(r"solve \d{4}-\d{2}")


def _read(fd: int, wait: float) -> str:
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return ""
    try:
        return os.read(fd, 65536).decode(errors="replace")
    except OSError:  # the child closed its terminal
        return ""


def test_ctrl_c_leaves_the_out_directory_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"scenario": "earlier"}', encoding="utf-8")
    # a terminal, so that the run shows its progress: the signal is sent once a window of
    # the solve is done, however fast the machine (a fixed sleep outlived a 2-second solve)
    terminal, child_end = pty.openpty()
    command = [sys.executable, "-c", "from rareflow.cli import main; main()", "run", "baseline"]
    proc = subprocess.Popen(
        [*command, "--out", str(out)],
        stdout=child_end,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
    )
    os.close(child_end)
    seen = ""
    deadline = time.monotonic() + 300
    while not SOLVING.search(seen):
        assert proc.poll() is None, f"the run finished before it could be interrupted: {seen}"
        assert time.monotonic() < deadline, f"no progress of the solve shown: {seen[-500:]}"
        seen += _read(terminal, 0.5)
    proc.send_signal(signal.SIGINT)
    while True:  # what it prints until it has stopped
        chunk = _read(terminal, 0.2)
        seen += chunk
        if proc.poll() is not None and not chunk:
            break
        assert time.monotonic() < deadline, "the run did not stop after Ctrl-C"
    os.close(terminal)
    stderr = proc.stderr.read() if proc.stderr else ""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen)  # the terminal's colour codes
    assert proc.returncode == 130, (text[-2000:], stderr)
    assert "interrupted:" in text and "unchanged" in text
    assert "Traceback" not in text + stderr
    assert (out / "summary.json").read_text(encoding="utf-8") == '{"scenario": "earlier"}'
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
