"""Mutation testing of the core: how many deliberate one-line bugs does the fast test layer catch?

Runs mutmut (3.x) on a throw-away copy of the repository's tracked files, so
the working tree is never touched: mutmut writes each file of the scope with
every mutant behind a switch, runs the tests that reach each function with one
mutant switched on, and counts the mutants no test notices (survivors).

    python bench/mutation.py                        # the default scope: conditions io redact
    python bench/mutation.py conditions decide      # named parts (see SCOPE)
    python bench/mutation.py all --max-children 2   # everything in SCOPE
    python bench/mutation.py io --keep /tmp/mut     # keep the copy (mutmut browse/show there)
    python bench/mutation.py decide --time-limit 1200   # a time box: the figures checked so far
    python bench/mutation.py detectors --only '*x__d_trend__*' --only '*x__slope_t__*'   # some functions

Prints one line per file (killed / mutants, the score) and the total, and
writes every survivor's diff to bench/out/mutation-survivors.txt. Survivors
that are not worth a test are explained in docs/mutation.md.
Needs the ``mutation`` extra: ``pip install -e '.[test,mutation]'``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The core whose tests should pin behaviour: name -> the files mutated.
SCOPE = {
    "conditions": ["advisor/core/conditions.py"],
    "io": ["advisor/core/io.py"],
    "redact": ["advisor/core/redact.py"],
    "decide": ["advisor/core/decide.py"],
    "detectors": ["advisor/core/triage/detectors.py"],
    "data": ["advisor/core/triage/data.py"],
    "stats": ["advisor/core/probe/stats.py"],
}
DEFAULT = ["conditions", "io", "redact"]
#: The tests run against the mutants: the fast layer (no processes, app or server), which
#: is what a change is checked with first; mutmut runs, per mutant, only those that reach it
#: (bench/mutmut_fixture_links.py counts what a test's shared fixtures reach as reached by it).
TESTS = ["tests", "-m", "not slow", "-p", "no:cacheprovider", "-p", "bench.mutmut_fixture_links", "-q", "-x"]
#: mutmut's result words, and which count as caught.
CAUGHT = {"killed", "timeout"}
#: Not run yet (a time box stopped mutmut first): left out of the score, shown beside it.
UNCHECKED = "not checked"


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def make_copy(dest: Path, files: list[str]) -> None:
    tracked = tracked_files()
    for rel in tracked:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    toml = (dest / "pyproject.toml").read_text()
    toml += (
        "\n[tool.mutmut]\n"
        'source_paths = ["advisor"]\n'
        f"only_mutate = {files!r}\n".replace("'", '"')
        # mutmut runs the tests in its own folder: everything they read goes along
        + f"also_copy = {sorted({rel.split('/')[0] for rel in tracked} - {'advisor'})!r}\n".replace("'", '"')
        + f"pytest_add_cli_args_test_selection = {TESTS!r}\n".replace("'", '"')
    )
    (dest / "pyproject.toml").write_text(toml)


def mutmut(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=cwd, env=env, text=True, **kw)


def results(cwd: Path) -> dict[str, str]:
    """mutant name -> status, for every mutant (``mutmut results --all true``)."""
    r = mutmut(["results", "--all", "true"], cwd, capture_output=True)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+__mutmut_\d+): (.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def survivor_diffs(work: Path, names: list[str]) -> dict[str, str]:
    """name -> unified diff of the mutant's function against the original, read from mutmut's mutated files.

    The same diff ``mutmut show NAME`` prints, without starting a process per survivor (which took
    about a second each: 14 minutes for the 844 survivors of data.py's first run).
    """
    by_file: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_file[module_of(name)].append(name)
    got: dict[str, str] = {}
    for rel, wanted in by_file.items():
        path = work / "mutants" / rel
        if not path.exists():
            continue
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        funcs: dict[str, str] = {}
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
                funcs[node.name] = "\n".join(lines[node.lineno - 1: node.end_lineno])
        for name in wanted:
            fn = name.rsplit(".", 1)[1]
            base = fn.rsplit("__mutmut_", 1)[0]
            orig = base + "__mutmut_orig"
            if fn not in funcs or orig not in funcs:
                continue
            a = funcs[orig].replace(orig, base).splitlines()
            b = funcs[fn].replace(fn, base).splitlines()
            got[name] = "\n".join(difflib.unified_diff(a, b, rel, rel, n=1, lineterm="")) + "\n"
    return got


def module_of(mutant: str) -> str:
    """``advisor.core.io.x_atomic_write__mutmut_3`` -> ``advisor/core/io.py``."""
    dotted = mutant.split("__mutmut_")[0].rsplit(".", 1)[0]
    return dotted.replace(".", "/") + ".py"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=DEFAULT, help=f"parts of SCOPE, or all (default: {' '.join(DEFAULT)})")
    ap.add_argument("--max-children", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    ap.add_argument("--time-limit", type=float, metavar="S", help="stop mutmut after S seconds and report what it checked")
    ap.add_argument("--only", action="append", metavar="GLOB", default=[],
                    help="run only the mutants whose name matches (mutmut's names, e.g. '*x__d_trend__*'; repeatable)")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()
    parts = list(SCOPE) if args.parts == ["all"] else args.parts
    unknown = [p for p in parts if p not in SCOPE]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; expected: {', '.join(SCOPE)} or all")
    files = [f for p in parts for f in SCOPE[p] if (ROOT / f).exists()]

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="advisor-mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    make_copy(work, files)
    print(f"mutating {', '.join(files)} in {work} ({args.max_children} at a time)", flush=True)
    t0 = time.perf_counter()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children), *args.only],
                            cwd=work, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    stopped = False
    try:
        stdout, stderr = proc.communicate(timeout=args.time_limit)
    except subprocess.TimeoutExpired:  # a time box: count what was checked so far
        stopped = True
        os.killpg(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate()
    run = subprocess.CompletedProcess(proc.args, 0 if stopped else proc.returncode, stdout, stderr)
    elapsed = time.perf_counter() - t0
    status = results(work)
    if stopped:
        print(f"stopped after {args.time_limit:.0f} s (--time-limit): figures below are the mutants checked so far; "
              "'not checked' were not reached", flush=True)
    if run.returncode != 0 or not status:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        print("mutation: mutmut failed (output above)", file=sys.stderr)
        return 1

    by_file: dict[str, Counter] = defaultdict(Counter)
    for name, st in status.items():
        by_file[module_of(name)][st] += 1
    width = max(len(f) for f in by_file)
    total = Counter()
    for f in sorted(by_file):
        c = by_file[f]
        total.update(c)
        n = sum(c.values()) - c[UNCHECKED]
        caught = sum(c[s] for s in CAUGHT)
        rest = ", ".join(f"{c[s]} {s}" for s in sorted(c) if s not in CAUGHT)
        print(f"{f:<{width}}  {caught:>4}/{n:<4} caught  {100 * caught / max(n, 1):5.1f}%  {rest}")
    n = sum(total.values()) - total[UNCHECKED]
    caught = sum(total[s] for s in CAUGHT)
    print(f"{'total':<{width}}  {caught:>4}/{n:<4} caught  {100 * caught / max(n, 1):5.1f}%  "
          f"({elapsed:.0f} s, {n / max(elapsed, 1e-9):.1f} mutants/s)")

    survivors = sorted(name for name, st in status.items() if st not in CAUGHT | {UNCHECKED})
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    report = out / "mutation-survivors.txt"
    diffs = survivor_diffs(work, survivors)
    with report.open("w", encoding="utf-8") as fh:
        for name in survivors:
            fh.write(f"## {name}: {status[name]}\n{diffs.get(name, '(diff not found)')}\n")
    print(f"{len(survivors)} not caught: diffs in {report.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
