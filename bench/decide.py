"""Benchmark `advisor decide`: whole-process wall time and the engine's own time.

Run:  .venv/bin/python bench/decide.py [--runs 15]
Target: whole process <= 0.5 s on the 2-core reference machine.
Prints figures only; it asserts nothing (timed assertions flake on shared machines).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "tests" / "data" / "good" / "invoice_extractor.yaml"


def whole_process(runs: int, fmt: str) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "advisor", "decide", "--answers", str(ANSWERS), "--format", fmt],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def engine(runs: int) -> tuple[float, float, float]:
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from advisor.core.answers import load_answers
    from advisor.core.decide import decide
    from advisor.core.knowledge import load_knowledge
    from advisor.core.record import render_markdown
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    kb = load_knowledge()
    t_load = time.perf_counter() - t0
    answers = load_answers(str(ANSWERS))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        a = decide(answers, kb)
        render_markdown(a, kb)
        samples.append(time.perf_counter() - t0)
    return t_import, t_load, statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    whole_process(2, "json")  # warm the page cache and .pyc files
    for fmt in ("json", "md"):
        t = whole_process(args.runs, fmt)
        print(f"advisor decide --format {fmt}: median {statistics.median(t):.3f} s, "
              f"min {min(t):.3f} s, max {max(t):.3f} s over {args.runs} runs (target <= 0.5 s)")
    t_import, t_load, t_engine = engine(200)
    print(f"core import {t_import * 1000:.0f} ms, knowledge load {t_load * 1000:.0f} ms, "
          f"decide + counterfactuals + markdown {t_engine * 1000:.2f} ms (median of 200)")


if __name__ == "__main__":
    main()
