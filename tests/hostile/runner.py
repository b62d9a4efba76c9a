"""Run a corpus case: in this process (the CLI's ``main`` with captured streams) or as a subprocess."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.hostile.corpus import PWNED, SECRET, Case, fill, materialize

ROOT = Path(__file__).resolve().parents[2]


class Hang(BaseException):
    """The case ran past its timeout (BaseException: no ``except Exception`` in the code can swallow it)."""


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    paths: dict[str, str]


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def ring(signum, frame):  # noqa: ANN001
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_in_process(case: Case, folder: Path, monkeypatch) -> Outcome:  # noqa: ANN001
    """``advisor.cli.main(argv)`` with stdin, stdout and stderr captured, in ``folder``."""
    from advisor.cli import main

    paths = materialize(case, folder)
    argv = [fill(a, paths) for a in case.argv]
    monkeypatch.chdir(folder)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(folder / ".data"))
    monkeypatch.setenv("CI", "1")
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(case.stdin), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    with _deadline(case.timeout):
        code = main(argv)
    return Outcome(code, out.getvalue(), err.getvalue(), paths)


def run_subprocess(case: Case, folder: Path, env: dict[str, str] | None = None) -> Outcome:
    """``python -m advisor ARGV`` as a user would run it."""
    paths = materialize(case, folder)
    argv = [fill(a, paths) for a in case.argv]
    full = {**os.environ, "OPENAI_API_KEY": SECRET, "ADVISOR_DATA_DIR": str(folder / ".data"), "CI": "1",
            "PYTHONPATH": str(ROOT), **(env or {})}
    r = subprocess.run([sys.executable, "-m", "advisor", *argv], cwd=folder, env=full, input=case.stdin,
                       capture_output=True, timeout=case.timeout + 30)
    return Outcome(r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"), paths)


_ESCAPES = re.compile("[\x1b\x07\x08\r\x9b\x9d\u202e]")


def check(case: Case, got: Outcome, folder: Path) -> list[str]:
    """Every promise the case must keep; returns what was broken (empty: all kept)."""
    problems = []
    both = got.stdout + got.stderr
    if "Traceback" in both:
        problems.append("a traceback was printed")
    if got.code not in case.codes:
        problems.append(f"exit {got.code}, expected {' or '.join(map(str, case.codes))}")
    if got.code == 2:
        lines = [ln for ln in got.stderr.splitlines() if ln.startswith("advisor: error: ")]
        if not lines:
            problems.append("no 'advisor: error:' line")
        msg = "\n".join(lines)
        if case.names:
            name = fill(case.names, got.paths)
            if name not in msg:
                problems.append(f"the message does not name {name!r}")
        for frag in case.says:
            if not any(alt in msg for alt in frag.split("|")):
                problems.append(f"the message does not say {frag!r}")
    if case.json_out and got.code == 0 and got.stdout.strip():
        def bad(token: str) -> None:
            raise ValueError(f"non-strict JSON token {token}")
        try:
            json.loads(got.stdout, parse_constant=bad)
        except ValueError as e:
            problems.append(f"stdout is not strict JSON: {e}")
    if case.no_escape_out and _ESCAPES.search(got.stdout):
        problems.append("stdout holds a terminal control character")
    if (folder / PWNED).exists():
        problems.append("a YAML tag executed code")
    if SECRET in both:
        problems.append("the API key was printed")
    for p in folder.rglob("*"):
        try:
            if p.is_symlink() or not p.is_file():
                continue
            if SECRET.encode() in p.read_bytes():
                problems.append(f"the API key was written to {p.name}")
        except OSError:
            continue
    return [f"{case.id}: {x}\n  stderr: {got.stderr.strip()[:400]}" for x in problems]
