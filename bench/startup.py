"""Time to first screen: ``advisor`` against a minimal Textual app, same machine, same run.

Each run starts a fresh process on a real pseudo-terminal (80x24), reads what
it draws, and stops the clock when the first screen's text appears (for
``advisor``: the home screen's "Decide whether to fine-tune"). Both apps then
exit by themselves (``ADVISOR_EXIT_AFTER_FIRST_SCREEN=1`` for advisor), and the
time to process exit is reported too. Runs alternate between the two apps so
background load hits both alike; the medians and their ratio are printed.

Usage::

    python bench/startup.py [--runs 7]

Target: advisor's median within 1.5x of the minimal app's.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

MINIMAL_APP = '''
from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("minimal first screen")

    def on_mount(self) -> None:
        self.call_after_refresh(self.exit)


Minimal().run()
'''

ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def advisor_argv() -> list[str]:
    script = Path(sys.executable).parent / "advisor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "advisor"]


def time_first_screen(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> tuple[float, float]:
    """Start ``argv`` on a new 80x24 pty; seconds until ``marker`` is drawn, and until the process exits."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    first = None
    try:
        while True:
            if time.perf_counter() - start > timeout:
                proc.kill()
                raise RuntimeError(f"{argv[0]}: no first screen within {timeout} s; output so far: {seen[-500:]!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the pty
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                seen += chunk
                if first is None and marker in ANSI.sub(b"", seen):
                    first = time.perf_counter() - start
            elif proc.poll() is not None:
                break
        proc.wait(timeout=timeout)
        total = time.perf_counter() - start
    finally:
        os.close(master)
    if first is None:
        raise RuntimeError(f"{argv[0]}: exited ({proc.returncode}) without drawing {marker!r}: {seen[-500:]!r}")
    return first, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per app (default 7)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP, encoding="utf-8")
        env = {**os.environ, "TERM": "xterm-256color", "ADVISOR_DATA_DIR": str(Path(tmp) / "data"),
               "ADVISOR_EXIT_AFTER_FIRST_SCREEN": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        apps = {
            "advisor": (advisor_argv(), b"Decide whether to fine-tune"),
            "minimal Textual app": ([sys.executable, str(minimal)], b"minimal first screen"),
        }
        # One warm-up each (page cache, .pyc files), not counted.
        for argv, marker in apps.values():
            time_first_screen(argv, marker, env)
        firsts: dict[str, list[float]] = {name: [] for name in apps}
        totals: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.runs):
            for name, (argv, marker) in apps.items():
                first, total = time_first_screen(argv, marker, env)
                firsts[name].append(first)
                totals[name].append(total)

    print(f"time to first screen, {args.runs} runs each on an 80x24 pty, {os.cpu_count()} cores")
    for name in apps:
        runs = " ".join(f"{x:.3f}" for x in firsts[name])
        print(f"  {name:<20} median {statistics.median(firsts[name]):.3f} s   "
              f"(process exit {statistics.median(totals[name]):.3f} s)   runs: {runs}")
    ratio = statistics.median(firsts["advisor"]) / statistics.median(firsts["minimal Textual app"])
    verdict = "within" if ratio <= 1.5 else "OVER"
    print(f"  ratio advisor / minimal: {ratio:.2f}x ({verdict} the 1.5x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
