"""Speed and memory of reading training logs: advisor triage against losslint, side by side, whole process.

Writes seeded Hugging Face ``trainer_state.json`` files shaped like the
Trainer's (``indent=2``, ``sort_keys``, ``logging_steps=1`` with grad norm,
learning rate, epoch; an eval every 500 steps) to a temporary folder: one of
about 2.9 MB, and with ``--big`` one of about 200 MB and a 1 GB JSONL dataset.
Installs losslint into its own venv (``bench/.venv-losslint``, created once
with pip) and times, for each file, ``advisor triage --log FILE --format json``
and ``losslint check FILE`` as child processes: wall time and CPU (user + sys)
of the whole process, best of ``--repeat`` runs, and its peak resident memory.

Both run as installed: advisor's bytecode is compiled first (pip compiles a
wheel's on install, and losslint's was compiled so; with
``PYTHONDONTWRITEBYTECODE`` set an editable checkout would otherwise compile
every module on every run), and advisor's runbook cache is warm (a first run
builds it; that run is timed on its own line). Then it prints where advisor's
time goes: the interpreter alone, importing the triage path (with the slowest
modules by ``-X importtime``), and the default text report. The load average
is printed with the figures: other work on the machine slows both tools.

    python bench/triage_logs.py [--repeat 5] [--big] [--only small|big-log|big-data] [--keep DIR]

``--only`` runs one part (``big-log`` and ``big-data`` imply ``--big``; neither needs losslint).
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOSSLINT_VENV = ROOT / "bench" / ".venv-losslint"


def write_trainer_state(path: Path, steps: int, seed: int = 7) -> None:
    """A trainer_state.json as the Trainer writes it, streamed to disk row by row."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{\n  "best_global_step": null,\n  "best_metric": null,\n  "best_model_checkpoint": null,\n'
                 f'  "epoch": 3.0,\n  "eval_steps": 500,\n  "global_step": {steps},\n'
                 '  "is_hyper_param_search": false,\n  "is_local_process_zero": true,\n'
                 '  "is_world_process_zero": true,\n  "log_history": [\n')
        first = True
        for s in range(1, steps + 1):
            rows = [{"epoch": round(3 * s / steps, 6), "grad_norm": abs(rng.gauss(1.0, 0.2)),
                     "learning_rate": 2e-5 * (1 - s / steps), "loss": round(0.6 + 1.4 * math.exp(-s / 800) + rng.gauss(0, 0.05), 4),
                     "step": s}]
            if s % 500 == 0:
                rows.append({"epoch": round(3 * s / steps, 6), "eval_loss": round(0.8 + 0.9 * math.exp(-s / 1200), 4),
                             "eval_runtime": 21.3, "eval_samples_per_second": 47.1, "eval_steps_per_second": 5.9, "step": s})
            for r in rows:
                body = json.dumps(r, indent=2, sort_keys=True).replace("\n", "\n    ")
                fh.write(("" if first else ",\n") + "    " + body)
                first = False
        fh.write('\n  ],\n  "logging_steps": 1,\n  "max_steps": %d,\n  "num_train_epochs": 3,\n'
                 '  "total_flos": 1.0e17,\n  "train_batch_size": 8,\n  "trial_name": null,\n  "trial_params": null\n}\n' % steps)


def write_jsonl_dataset(path: Path, target_bytes: int, seed: int = 3) -> int:
    """Chat examples until the file reaches ``target_bytes``; returns the example count."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        while fh.tell() < target_bytes:
            q = " ".join(rng.choice(words) for _ in range(rng.randint(20, 120)))
            a = " ".join(rng.choice(words) for _ in range(rng.randint(20, 160)))
            fh.write(json.dumps({"messages": [{"role": "system", "content": "You are a helpful assistant."},
                                              {"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n")
            n += 1
    return n


def losslint() -> Path:
    exe = LOSSLINT_VENV / "bin" / "losslint"
    if not exe.exists():
        print("installing losslint into", LOSSLINT_VENV, file=sys.stderr)
        venv.create(LOSSLINT_VENV, with_pip=True)
        subprocess.run([str(LOSSLINT_VENV / "bin" / "pip"), "install", "-q", "losslint"], check=True)
    return exe


ENV = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def measure(cmd: list[str], repeat: int) -> dict:
    """Best-of-``repeat`` wall and CPU seconds of a child process, and its peak RSS (MB)."""
    best_wall = best_cpu = math.inf
    peak = 0.0
    code = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        peak = max(peak, after.ru_maxrss / 1024)  # ru_maxrss of the largest child so far, KiB on Linux
        code = r.returncode
        if r.returncode not in (0, 1):
            print(r.stderr.decode()[-500:], file=sys.stderr)
    return {"wall_s": round(best_wall, 3), "cpu_s": round(best_cpu, 3), "peak_rss_mb": round(peak, 1), "exit": code}


def peak_of(cmd: list[str]) -> float:
    """Peak RSS (MB) of one run, measured alone (RUSAGE_CHILDREN keeps the maximum over all children)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, env=ENV)
    return round(int(out.stdout.strip()) / 1024, 1)


def slowest_imports(stmt: str, n: int = 6) -> list[tuple[str, float]]:
    """The ``n`` modules with the most import time of their own (``-X importtime``, best of 3), in ms."""
    best: dict[str, float] = {}
    for _ in range(3):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], capture_output=True, text=True,
                             env=ENV).stderr
        for line in err.splitlines():
            if line.startswith("import time:") and "|" in line:
                own, _cum, name = line[len("import time:"):].split("|")
                if own.strip().isdigit():
                    name = name.strip()
                    best[name] = min(best.get(name, math.inf), int(own) / 1000)
    return sorted(best.items(), key=lambda kv: -kv[1])[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--big", action="store_true", help="also a ~200 MB trainer_state.json and a ~1 GB JSONL dataset")
    ap.add_argument("--keep", metavar="DIR", help="write the files there and keep them")
    ap.add_argument("--only", choices=("small", "big-log", "big-data"), help="run one part only")
    args = ap.parse_args()
    if args.only in ("big-log", "big-data"):
        args.big = True
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="triage-logs-"))
    tmp.mkdir(parents=True, exist_ok=True)
    advisor = [sys.executable, "-m", "advisor", "triage", "--format", "json"]
    ll = str(losslint()) if args.only in (None, "small") else ""
    compileall.compile_dir(str(ROOT / "advisor"), quiet=1)
    cache = Path(tempfile.mkdtemp(prefix="advisor-cache-"))
    ENV["ADVISOR_CACHE_DIR"] = str(cache)
    try:
        if args.only in (None, "small"):
            small = tmp / "trainer_state.json"
            if not small.exists():
                write_trainer_state(small, 18_000)
            print(f"{small.name}: {small.stat().st_size / 1e6:.1f} MB; load average {os.getloadavg()[0]:.2f} "
                  f"on {os.cpu_count()} cores")
            first = measure(advisor + ["--log", str(small)], 1)  # builds the runbook cache
            a = measure(advisor + ["--log", str(small)], args.repeat)
            a["peak_rss_mb"] = peak_of(advisor + ["--log", str(small)])
            b = measure([ll, "check", str(small)], args.repeat)
            b["peak_rss_mb"] = peak_of([ll, "check", str(small)])
            print(f"  advisor triage --log: wall {a['wall_s']} s, cpu {a['cpu_s']} s, peak {a['peak_rss_mb']} MB (exit {a['exit']})")
            print(f"  losslint check:       wall {b['wall_s']} s, cpu {b['cpu_s']} s, peak {b['peak_rss_mb']} MB (exit {b['exit']})")
            print(f"  advisor / losslint CPU: {a['cpu_s'] / b['cpu_s']:.2f}")
            print(f"  advisor's first run (validates the runbook, then caches it): cpu {first['cpu_s']} s")
            bare = measure([sys.executable, "-c", "pass"], args.repeat)
            stmt = "import advisor.cli, advisor.commands.triage, advisor.core.triage"
            imp = measure([sys.executable, "-c", stmt], args.repeat)
            print(f"  of advisor's: the interpreter alone cpu {bare['cpu_s']} s; with the triage imports cpu {imp['cpu_s']} s")
            print("  slowest imports (own ms): " + ", ".join(f"{m} {t:.1f}" for m, t in slowest_imports(stmt)))
            c = measure([sys.executable, "-m", "advisor", "triage", "--log", str(small)], args.repeat)
            print(f"  advisor triage --log (text report: rich, plotext): wall {c['wall_s']} s, cpu {c['cpu_s']} s")
            print(f"load average after: {os.getloadavg()[0]:.2f}")
        if args.big and args.only in (None, "big-log"):
            big = tmp / "big_trainer_state.json"
            if not big.exists():
                write_trainer_state(big, 900_000, seed=8)
            print(f"{big.name}: {big.stat().st_size / 1e6:.0f} MB")
            r = measure(advisor + ["--log", str(big)], 1)
            r["peak_rss_mb"] = peak_of(advisor + ["--log", str(big)])
            print(f"  advisor triage --log: wall {r['wall_s']} s, cpu {r['cpu_s']} s, peak {r['peak_rss_mb']} MB")
        if args.big and args.only in (None, "big-data"):
            ds = tmp / "big_train.jsonl"
            if not ds.exists():
                n = write_jsonl_dataset(ds, 1_000_000_000)
                print(f"{ds.name}: {n} examples")
            print(f"{ds.name}: {ds.stat().st_size / 1e9:.2f} GB")
            r = measure(advisor + ["--train", str(ds)], 1)
            r["peak_rss_mb"] = peak_of(advisor + ["--train", str(ds)])
            print(f"  advisor triage --train: wall {r['wall_s']} s, cpu {r['cpu_s']} s, peak {r['peak_rss_mb']} MB")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
