"""Search random training logs for a witness against each surviving detector mutant.

A survivor of ``bench/mutation.py detectors`` is either a missing test or a mutant that
behaves like the original. This script tells the two apart by trying: it loads the mutated
copy ``bench/mutation.py --keep DIR`` left behind, builds thousands of random training logs
(falling curves with noise, rises, spikes, plateaus, NaN and Inf, zeros, constant runs,
warm-ups, dense and per-epoch evals, metrics, values rounded so that ties and exact
thresholds happen), and runs every detector on each with the original code and with the
mutant switched on. The first log on which any finding differs is the mutant's *witness*:
printed, it is the start of a test. A mutant with no witness in N logs is reported as
such; that is evidence for an "equivalent" reason in docs/mutation.md, not a proof.

    python bench/mutation.py detectors --keep /tmp/mut-det
    python bench/mutant_witness.py /tmp/mut-det                    # every survivor there
    python bench/mutant_witness.py /tmp/mut-det --logs 20000 --only '*_d_divergence*'

Prints one line per survivor: ``witness`` (what differed, on which log) or ``none in N``.
"""

from __future__ import annotations

import argparse
import fnmatch
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

FINITE_ONLY = ("zeros", "const")


def random_log(rng: random.Random):
    """One random training log (the shapes triage meets, plus the edges the detectors branch on)."""
    from advisor.core.triage.logs import Point, Series, TrainingLog

    n = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 20, 40, 64, 100, 200])
    step = rng.choice([1, 5, 10])
    digits = rng.choice([None, None, 2, 3, 4])
    kind = rng.choice(["fall", "fall", "diverge", "spiky", "plateau", "zeros", "const", "near_zero", "rise_end"])
    a, b = rng.uniform(0.5, 4.0), rng.uniform(0.005, 1.5)
    noise = rng.choice([0.0, 0.0, 0.001, 0.01, 0.05, 0.2])
    ys = []
    for i in range(n):
        t = i / max(1, n - 1)
        v = b + (a - b) * math.exp(-4 * t)
        if kind == "diverge" and t > 0.5:
            v = b + (t - 0.5) * rng.uniform(0.1, 4.0)
        elif kind == "plateau" and t > 0.6:
            v = b + (a - b) * math.exp(-2.4)
        elif kind == "rise_end" and t > 0.85:
            v *= 1 + rng.uniform(0.0, 0.5)
        elif kind == "near_zero":
            v = rng.choice([0.01, 0.019, 0.02, 0.021]) + (a - 0.02) * math.exp(-6 * t)
        v += rng.gauss(0, noise)
        ys.append(v)
    if kind == "spiky":
        for _ in range(rng.randint(1, 6)):
            ys[rng.randrange(n)] *= rng.choice([1.4, 1.5, 1.6, 3.0, 10.0])
    if kind == "zeros":
        for _ in range(rng.randint(1, 4)):
            ys[rng.randrange(n)] = 0.0
        if rng.random() < 0.3:
            ys[-1] = 0.0
    if kind == "const":
        c = rng.choice([0.5, 1.0, 2.0, 2000.0])
        ys = [c + rng.choice([0.0, 0.0, 5e-10, 1.5e-9, 1e-6]) for _ in range(n)]
    if digits is not None and kind not in FINITE_ONLY:
        ys = [round(v, digits) for v in ys]
    if rng.random() < 0.15 and n:
        ys[rng.randrange(n)] = rng.choice([math.nan, math.inf, -math.inf])
    log = TrainingLog(file="w.jsonl", format="jsonl")
    log.train_loss = Series("train_loss", [Point(float((i + 1) * step), v, i + 2) for i, v in enumerate(ys)])
    if rng.random() < 0.8:
        for name in rng.sample(["eval", "MedQA", "full_valid", "other_set"], rng.choice([1, 1, 2])):
            m = rng.choice([2, 3, 4, 5, 6, 10, 20, 40])
            es = max(1, (n * step) // max(1, m))
            e = []
            for j in range(m):
                t = j / max(1, m - 1)
                v = b * rng.uniform(0.8, 1.3) + (a - b) * math.exp(-3 * t)
                if rng.random() < 0.5 and t > rng.uniform(0.3, 0.9):
                    v *= 1 + rng.uniform(0.0, 0.3) * t
                e.append(round(v, digits) if digits else v)
            if rng.random() < 0.1:
                e[rng.randrange(m)] = math.nan
            key = name if name == "eval" else name
            sname = "eval_loss" if name == "eval" else f"eval_{name}_loss"
            log.eval_loss[key] = Series(sname, [Point(float((j + 1) * es), v, rng.choice([None, 1000 + j]))
                                                for j, v in enumerate(e)])
    if rng.random() < 0.4:
        g = [rng.uniform(0.5, 2.0) * rng.choice([1.0, 1.0, 0.0]) for _ in range(n)]
        for _ in range(rng.randint(0, 4)):
            if n:
                g[rng.randrange(n)] = rng.choice([9.5, 10.0, 10.5, 20.0, 40.0, math.inf])
        log.grad_norm = Series("grad_norm", [Point(float((i + 1) * step), v) for i, v in enumerate(g)])
    if rng.random() < 0.5:
        w = rng.randint(0, max(1, n // 3))
        peak = rng.choice([1e-5, 1e-4, 3e-4, 2e-4, 1e-3])
        lr = [peak * min(1.0, (i + 1) / w) if w else peak for i in range(n)]
        log.learning_rate = Series("learning_rate", [Point(float((i + 1) * step), v) for i, v in enumerate(lr)])
    if rng.random() < 0.3 and log.eval_loss:
        ev = next(iter(log.eval_loss.values()))
        hib = rng.choice([True, False, None])
        vals = [rng.uniform(0.3, 0.9) for _ in ev.points]
        log.metrics["eval_accuracy" if hib else "eval_wer"] = Series(
            "eval_accuracy" if hib else "eval_wer", [Point(p.step, v) for p, v in zip(ev.points, vals)],
            higher_is_better=hib)
        if rng.random() < 0.5:
            log.metrics["eval_perplexity"] = Series("eval_perplexity", [
                Point(p.step, math.exp(p.value) if math.isfinite(p.value) and p.value < 700 else p.value)
                for p in ev.points], higher_is_better=False)
    log.max_epoch = rng.choice([None, 1.0, 2.5, 3.0, 3.02, 5.0])
    return log


def outcome(log, th, rng_settings):
    """Everything the detectors say about one log, as comparable plain data (or the error raised)."""
    from advisor.core.triage import detectors

    detectors._SMOOTH_CACHE.clear()
    try:
        found = detectors.detect_log(log, th)
        lr, epochs, method = rng_settings
        found += detectors.detect_settings(log, lr=lr, epochs=epochs, method=method, th=th, log_findings=found)
        best = detectors.best_checkpoint(log)
        cv = detectors.curves(log, max_points=50)
        return ([(f.id, f.severity, f.where, f.detail, repr(f.evidence)) for f in found],
                repr(best), repr([(c.name, c.points) for c in cv]))
    except Exception as e:  # a mutant that crashes where the original does not: a witness too
        return f"raised {type(e).__name__}: {e}"


def show(log, settings, expected, name, th) -> None:
    """The witness: its series (step, value), then the outcome with and without the mutant."""
    from mutmut.mutation import trampoline

    series = {"train_loss": log.train_loss, "grad_norm": log.grad_norm, "learning_rate": log.learning_rate,
              **{f"eval:{k}": s for k, s in log.eval_loss.items()}, **{f"metric:{k}": s for k, s in log.metrics.items()}}
    for label, s in series.items():
        if s.points:
            print(f"    {label}: {[(p.step, p.value) for p in s.points]}")
    print(f"    settings (lr, epochs, method): {settings}; max_epoch {log.max_epoch}")
    trampoline.set_mutant_under_test(name)
    got = outcome(log, th, settings)
    trampoline.set_mutant_under_test("")
    if isinstance(got, str) or isinstance(expected, str):
        print(f"    original: {str(expected)[:300]}\n    mutant:   {str(got)[:300]}")
        return
    a, b = set(expected[0]), set(got[0])
    for f in sorted(a - b):
        print(f"    original only: {f}")
    for f in sorted(b - a):
        print(f"    mutant only:   {f}")
    if a == b:
        print("    (findings equal; best checkpoint or curves differ)")


def survivors(work: Path) -> list[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=work, env=env,
                         capture_output=True, text=True).stdout
    return [m.group(1) for m in re.finditer(r"^\s*(\S+__mutmut_\d+): survived", out, re.M)]


def witness_args(doc: str, module: str, count: str, default: int, what: str, extra=None):
    """The command line both witness scripts take, and the survivors of ``module`` it selects."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", type=Path, help="the folder bench/mutation.py --keep left")
    ap.add_argument(f"--{count}", type=int, default=default, help=f"{what} tried per mutant (default {default})")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB", help="survivors whose name matches")
    ap.add_argument("--seed", type=int, default=1)
    if extra:
        extra(ap)
    args = ap.parse_args()
    names = [n for n in survivors(args.work) if f".{module}." in n
             and (not args.only or any(fnmatch.fnmatch(n, g) for g in args.only))]
    return args, names


def main() -> int:
    args, names = witness_args(__doc__, "detectors", "logs", 5000, "random logs", extra=lambda ap: ap.add_argument(
        "--show", action="store_true", help="print each witness log's series and what differed"))
    if not names:
        print("no surviving detector mutant there", file=sys.stderr)
        return 1
    sys.path.insert(0, str(args.work / "mutants"))
    os.chdir(args.work)
    from mutmut.mutation import trampoline

    from advisor.core.triage.runbook import load_runbook

    th = load_runbook().thresholds
    rng = random.Random(args.seed)
    cases = []
    for _ in range(args.logs):
        log = random_log(rng)
        settings = (rng.choice([None, 5e-5, 1e-4, 1.01e-4, 3e-4, 2e-3]), rng.choice([None, 1, 3, 4]),
                    rng.choice([None, "lora", "full"]))
        cases.append((log, settings))
    trampoline.set_mutant_under_test("")
    expected = [outcome(log, th, s) for log, s in cases]
    found = 0
    for name in names:
        trampoline.set_mutant_under_test(name)
        witness = None
        for i, (log, s) in enumerate(cases):
            if outcome(log, th, s) != expected[i]:
                witness = i
                break
        trampoline.set_mutant_under_test("")
        short = name.split("detectors.", 1)[1]
        if witness is None:
            print(f"{short}: none in {len(cases)}")
        else:
            found += 1
            log = cases[witness][0]
            print(f"{short}: witness (log {witness}: {len(log.train_loss.points)} train points, "
                  f"evals {[len(s.points) for s in log.eval_loss.values()]})")
            if args.show:
                show(log, cases[witness][1], expected[witness], name, th)
    print(f"{found} of {len(names)} survivors have a witness; {len(names) - found} none in {len(cases)} logs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
