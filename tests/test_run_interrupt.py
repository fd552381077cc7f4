"""Ctrl-C during `rareflow run`: one line, exit 130, and the --out directory as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_ctrl_c_leaves_the_out_directory_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"scenario": "earlier"}', encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from rareflow.cli import main; main()",
            "run",
            "baseline",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(6.0)  # past start-up and loading: inside the solve
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted:" in stdout and "unchanged" in stdout
    assert "Traceback" not in stdout + stderr
    assert (out / "summary.json").read_text(encoding="utf-8") == '{"scenario": "earlier"}'
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
