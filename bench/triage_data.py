"""Scale of the triage dataset checks: a 10k and a 100k chat training set, each with an eval set a tenth its size.

Generates realistic-looking support-ticket chats in a temporary folder (word
lists, varied lengths, a system prompt, a few planted exact and near
duplicates, conflicts and eval leaks), then runs ``check_datasets`` on each
size in a fresh child process, so the peak memory printed is the whole
process's resident set (``ru_maxrss``: interpreter, numpy, datasketch and the
checks) and one run's peak does not hide the other's. Prints wall time, peak
RSS and the 100k/10k ratios, and checks them against the targets
(<= 20 s and <= 1.5 GB at 100k, near-linear).

    python bench/triage_data.py [--sizes 10000 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 20.0
TARGET_BYTES = 1.5 * 1024**3

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dor", "fen", "gal", "hix",
              "jun", "bel", "cor", "dan", "eph", "mar", "nol", "ost", "pim", "ral", "sen", "tov", "ulm"]
SYSTEM = "You are the support assistant for Acme Cloud. Answer in two or three sentences, politely."


def _vocab(rng: random.Random, n: int = 6000) -> list[str]:
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))))
    return sorted(words)


def _sentence(rng: random.Random, vocab: list[str], lo: int, hi: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi))).capitalize() + "."


def _chat(user: str, answer: str) -> str:
    return json.dumps({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                                    {"role": "assistant", "content": answer}]}, ensure_ascii=False)


def generate(folder: Path, n_train: int, n_eval: int, seed: int = 7) -> tuple[Path, Path]:
    """Write ``train_<n>.jsonl`` and ``eval_<n>.jsonl``; about 1% exact duplicates, 1% near, 0.5% leaked evals."""
    rng = random.Random(seed)
    vocab = _vocab(rng)
    train_path, eval_path = folder / f"train_{n_train}.jsonl", folder / f"eval_{n_train}.jsonl"
    kept: list[tuple[str, str]] = []  # a sample of earlier examples to copy from
    with train_path.open("w", encoding="utf-8") as out:
        for i in range(n_train):
            r = rng.random()
            if kept and r < 0.01:  # exact duplicate
                user, answer = rng.choice(kept)
            elif kept and r < 0.02:  # near duplicate: one word changed
                user, answer = rng.choice(kept)
                words = user.split()
                words[rng.randrange(len(words))] = rng.choice(vocab)
                user = " ".join(words)
            elif kept and r < 0.025:  # conflict: same question, another answer
                user, _ = rng.choice(kept)
                answer = _sentence(rng, vocab, 10, 40)
            else:
                user = " ".join(_sentence(rng, vocab, 6, 25) for _ in range(rng.randint(1, 4)))
                answer = " ".join(_sentence(rng, vocab, 8, 30) for _ in range(rng.randint(1, 3)))
            if len(kept) < 2000 or rng.random() < 0.02:
                kept.append((user, answer)) if len(kept) < 2000 else kept.__setitem__(rng.randrange(2000), (user, answer))
            out.write(_chat(user, answer) + "\n")
    with eval_path.open("w", encoding="utf-8") as out:
        for _ in range(n_eval):
            if rng.random() < 0.005:
                user, answer = rng.choice(kept)
            else:
                user = " ".join(_sentence(rng, vocab, 6, 25) for _ in range(rng.randint(1, 4)))
                answer = _sentence(rng, vocab, 8, 30)
            out.write(_chat(user, answer) + "\n")
    return train_path, eval_path


def _child(train: str, eval_: str) -> None:
    """Run the checks once and print one JSON line of figures (run in a fresh process)."""
    t0 = time.perf_counter()
    from advisor.core.triage.data import check_datasets
    from advisor.core.triage.runbook import load_runbook

    th = load_runbook().thresholds
    t1 = time.perf_counter()
    findings, stats = check_datasets(train, eval_, th)
    t2 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss = ru.ru_maxrss * 1024  # kilobytes on Linux
    print(json.dumps({"import_s": t1 - t0, "check_s": t2 - t1, "peak_rss": rss, "cpu_s": ru.ru_utime + ru.ru_stime,
                      "found": {k: stats["train"][k] for k in ("exact_duplicates", "near_duplicates", "conflicts")}
                      | {"leaked_exact": stats["eval"]["leakage"]["exact"], "leaked_near": stats["eval"]["leakage"]["near"]},
                      "n_train": stats["train"]["examples"], "n_eval": stats["eval"]["examples"]}))


def _measure(train: Path, eval_: Path) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", str(train), str(eval_)], capture_output=True, text=True,
                       cwd=ROOT)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"the check failed:\n{r.stderr}")
    d = json.loads(r.stdout.strip().splitlines()[-1])
    d["process_s"] = wall
    return d


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="training set sizes")
    ap.add_argument("--keep", metavar="DIR", help="write the datasets here and keep them")
    ap.add_argument("--child", nargs=2, metavar=("TRAIN", "EVAL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    ctx = tempfile.TemporaryDirectory(prefix="advisor-bench-") if not args.keep else None
    folder = Path(args.keep or ctx.name)  # type: ignore[union-attr]
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at start (other work slows wall time, "
          f"not CPU time), Python {sys.version.split()[0]}")
    rows = []
    try:
        for n in args.sizes:
            t0 = time.perf_counter()
            train, eval_ = generate(folder, n, n // 10)
            gen = time.perf_counter() - t0
            size_mb = (train.stat().st_size + eval_.stat().st_size) / 1e6
            d = _measure(train, eval_)
            rows.append((n, d))
            print(f"{n:>7} train + {n // 10:>6} eval ({size_mb:6.1f} MB, generated in {gen:4.1f} s): "
                  f"checks {d['check_s']:6.2f} s, whole process {d['process_s']:6.2f} s "
                  f"(imports {d['import_s']:.2f} s, CPU {d['cpu_s']:.2f} s), peak RSS {d['peak_rss'] / 2**20:7.1f} MB")
            print(f"          found: {json.dumps(d['found'])}")
    finally:
        if ctx is not None:
            ctx.cleanup()
    if len(rows) >= 2:
        (n0, a), (n1, b) = rows[0], rows[-1]
        print(f"ratio {n1 // 1000}k/{n0 // 1000}k: checks x{b['check_s'] / a['check_s']:.1f}, "
              f"whole process x{b['process_s'] / a['process_s']:.1f}, CPU x{b['cpu_s'] / a['cpu_s']:.1f}, peak RSS x{b['peak_rss'] / a['peak_rss']:.2f} "
              f"(size x{n1 / n0:.0f}; linear would be x{n1 / n0:.0f} in time)")
    n, big = rows[-1]
    ok = big["process_s"] <= TARGET_SECONDS and big["peak_rss"] <= TARGET_BYTES
    print(f"target at {n // 1000}k: <= {TARGET_SECONDS:.0f} s and <= 1.5 GB -> "
          f"{'met' if ok else 'MISSED'} ({big['process_s']:.1f} s, {big['peak_rss'] / 2**30:.2f} GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
