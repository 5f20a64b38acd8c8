"""Run a snippet in a fresh Python interpreter from the checkout: for what a process imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(script: str) -> str:
    """Standard output of ``script`` run by a fresh interpreter in the checkout.

    Fails the test, showing the interpreter's standard error, unless it exits with 0.
    """
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
