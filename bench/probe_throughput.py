"""Probe throughput, whole process and sending, against four other ways to send the same requests.

N requests (two models x N/2 distinct prompts) at concurrency C against the
local test server (``tests/probe/server.py``, its own process) with a fixed
latency, so ceil(N/C) x latency is the limit. Five contenders, each a fresh
process, interleaved round by round (so load from other processes on a
shared machine hits all of them alike):

* ``advisor``: ``advisor probe --config ...`` (the real CLI: config, eval set,
  cache, report);
* ``litellm``: bare ``litellm.acompletion`` + a semaphore;
* ``openai``: the official ``openai.AsyncOpenAI`` client + a semaphore;
* ``promptfoo``: ``promptfoo eval`` (pinned, see ``--setup``);
* ``inspect_ai``: ``inspect eval`` (in its own venv, see ``--setup``).

Two times per run: **whole process** (spawn to exit, interpreter start and
imports included) and **sending** (the server's own clock, from the first
request in to the last answer out, the same yardstick for all five). The
median of ``--rounds`` is reported, with the best in brackets.

    python bench/probe_throughput.py --setup              # once: promptfoo and inspect_ai into bench/.tools
    python bench/probe_throughput.py [--n 200] [--concurrency 20] [--latency 0.2] [--rounds 5]
                                     [--only advisor,openai]

Nothing here touches the network beyond 127.0.0.1 (the setup step uses npm and pip).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "bench" / ".tools"
PROMPTFOO_VERSION = "0.120.0"  # runs on Node 18/20; newer releases want a newer Node
PROMPTFOO = TOOLS / "promptfoo" / "node_modules" / ".bin" / "promptfoo"
INSPECT = TOOLS / "inspect-venv" / "bin" / "inspect"
SYSTEM = "Route the ticket. Answer with the queue only."
MODELS = ("base", "tuned")


def setup() -> int:
    """Install the pinned promptfoo (npm) and inspect_ai (its own venv) under bench/.tools."""
    TOOLS.mkdir(parents=True, exist_ok=True)
    if not PROMPTFOO.exists():
        if not shutil.which("npm"):
            print("npm not found: apt-get install -y nodejs npm", file=sys.stderr)
            return 1
        (TOOLS / "promptfoo").mkdir(exist_ok=True)
        subprocess.run(["npm", "init", "-y"], cwd=TOOLS / "promptfoo", check=True, capture_output=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"promptfoo@{PROMPTFOO_VERSION}"],
                       cwd=TOOLS / "promptfoo", check=True)
    if not INSPECT.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS / "inspect-venv")], check=True)
        subprocess.run([str(TOOLS / "inspect-venv" / "bin" / "pip"), "install", "-q", "inspect_ai", "openai"],
                       check=True)
    print(f"ready: {PROMPTFOO} and {INSPECT}")
    return 0


def start_server(latency: float) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.probe.server", str(latency)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())  # type: ignore[union-attr]
    return proc, f"http://127.0.0.1:{port}/v1", f"http://127.0.0.1:{port}/stats"


def server_stats(url: str, reset: bool = False) -> dict:
    with urllib.request.urlopen(url + ("?reset=1" if reset else ""), timeout=10) as r:
        return json.loads(r.read())


def prompts(n_per_model: int, tag: str) -> list[str]:
    # Distinct per request and per run: nothing is deduplicated or cached by any contender.
    return [f"[{tag}-{i}] My parcel {i} never arrived." for i in range(n_per_model)]


# ----------------------------------------------------------------- one script per contender


ASYNC_CLIENT = textwrap.dedent('''
    import asyncio, json, os, sys
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    cfg = json.load(open(sys.argv[1]))
    {imports}
    async def main():
        {setup}
        limit = asyncio.Semaphore(cfg["c"])
        async def one(model, text):
            async with limit:
                msgs = [{{"role": "system", "content": cfg["system"]}}, {{"role": "user", "content": text}}]
                {call}
                return r.choices[0].message.content or ""
        out = await asyncio.gather(*(one(m, p) for m in cfg["models"] for p in cfg["prompts"]))
        assert len(out) == len(cfg["models"]) * len(cfg["prompts"])
    asyncio.run(main())
''')

LITELLM_SCRIPT = ASYNC_CLIENT.format(
    imports="import litellm",
    setup="pass",
    call='r = await litellm.acompletion(model="openai/" + model, messages=msgs, api_base=cfg["api_base"], '
         'temperature=0, max_tokens=16, num_retries=0, max_retries=0, timeout=30)')
OPENAI_SCRIPT = ASYNC_CLIENT.format(
    imports="from openai import AsyncOpenAI",
    setup='client = AsyncOpenAI(base_url=cfg["api_base"], api_key=os.environ["OPENAI_API_KEY"], timeout=30)',
    call="r = await client.chat.completions.create(model=model, messages=msgs, temperature=0, max_tokens=16)")

INSPECT_TASK = textwrap.dedent('''
    import json, os
    from inspect_ai import Task, task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate, system_message

    cfg = json.load(open(os.environ["BENCH_CFG"]))

    @task
    def bench():
        return Task(dataset=[Sample(input=p, target="shipping") for p in cfg["prompts"]],
                    solver=[system_message(cfg["system"]), generate()], scorer=includes())
''')


def write_inputs(work: Path, api_base: str, n: int, c: int, tag: str) -> dict[str, list[str]]:
    """Every contender's input files for one run; returns its command lines."""
    per_model = n // len(MODELS)
    ps = prompts(per_model, tag)
    cfg = {"api_base": api_base, "c": c, "system": SYSTEM, "models": list(MODELS), "prompts": ps}
    (work / "cfg.json").write_text(json.dumps(cfg))
    (work / "litellm_run.py").write_text(LITELLM_SCRIPT)
    (work / "openai_run.py").write_text(OPENAI_SCRIPT)
    # advisor: an eval set of the same prompts, base vs tuned, the task suite only
    (work / "eval.jsonl").write_text("".join(json.dumps({"input": p, "expected": "shipping"}) + "\n" for p in ps))
    (work / "probe.yaml").write_text(
        f"models: {{base: openai/{MODELS[0]}, candidate: openai/{MODELS[1]}}}\napi_base: {api_base}\n"
        f"eval_set: eval.jsonl\nscorer: contains\nsuites: [task]\nsystem_prompt: {json.dumps(SYSTEM)}\n"
        f"temperature: 0\nmax_tokens: 16\nconcurrency: {c}\ntimeout_s: 30\nmax_retries: 2\n"
        "cache: cache.sqlite\nstats: {resamples: 200, min_n: 1}\n")
    # promptfoo: the same prompts as test vars, both models as providers
    tests = "\n".join(f"  - vars: {{text: {json.dumps(p)}}}" for p in ps)
    providers = "\n".join(
        f"  - id: openai:chat:{m}\n    config: {{apiBaseUrl: '{api_base}', temperature: 0, max_tokens: 16}}"
        for m in MODELS)
    (work / "promptfooconfig.yaml").write_text(
        f"prompts:\n  - '{json.dumps([{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': '{{text}}'}])}'\n"
        f"providers:\n{providers}\ntests:\n{tests}\n")
    (work / "inspect_task.py").write_text(INSPECT_TASK)
    py = sys.executable
    return {
        "advisor": [py, "-m", "advisor", "probe", "--config", str(work / "probe.yaml"), "--format", "json",
                    "-o", str(work / "advisor.json"), "--quiet"],
        "litellm": [py, str(work / "litellm_run.py"), str(work / "cfg.json")],
        "openai": [py, str(work / "openai_run.py"), str(work / "cfg.json")],
        "promptfoo": [str(PROMPTFOO), "eval", "-c", str(work / "promptfooconfig.yaml"), "--no-cache",
                      "-j", str(c), "--no-progress-bar", "--no-table", "-o", str(work / "promptfoo.json")],
        "inspect_ai": [str(INSPECT), "eval", "inspect_task.py", "--model",
                       f"openai-api/bench/{MODELS[0]}", "--max-connections", str(c), "--display", "none",
                       "--log-dir", str(work / "inspect-logs"), "--no-fail-on-error"],
    }


def run_one(name: str, cmd: list[str], work: Path, api_base: str, stats_url: str) -> tuple[float, float, int]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench-dummy", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "CI": "1", "BENCH_CFG": str(work / "cfg.json"), "PROMPTFOO_DISABLE_TELEMETRY": "1",
           "PROMPTFOO_DISABLE_UPDATE": "1", "PROMPTFOO_DISABLE_SHARING": "1", "PROMPTFOO_CACHE_ENABLED": "false",
           "PROMPTFOO_CONFIG_DIR": str(work / "promptfoo-home"),
           "BENCH_API_KEY": "sk-bench-dummy", "BENCH_BASE_URL": api_base, "INSPECT_LOG_DIR": str(work / "inspect-logs")}
    server_stats(stats_url, reset=True)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    whole = time.perf_counter() - t0
    st = server_stats(stats_url)
    if r.returncode not in (0, 100):  # promptfoo exits 100 when assertions fail; nothing is asserted here
        raise RuntimeError(f"{name} exited {r.returncode}: {r.stderr[-800:]}")
    return whole, float(st["span_s"] or 0.0), int(st["requests"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="advisor,litellm,openai,promptfoo,inspect_ai")
    ap.add_argument("--setup", action="store_true", help="install promptfoo and inspect_ai under bench/.tools")
    a = ap.parse_args()
    if a.setup:
        return setup()
    if a.latency <= 0 or a.n <= 0 or a.concurrency <= 0 or a.n % len(MODELS):
        ap.error("--latency, --n and --concurrency must be > 0, and --n even")
    names = [x.strip() for x in a.only.split(",") if x.strip()]
    missing = [(n, p) for n, p in (("promptfoo", PROMPTFOO), ("inspect_ai", INSPECT)) if n in names and not p.exists()]
    for n, p in missing:
        print(f"skipping {n}: {p} not found (run with --setup)", file=sys.stderr)
        names.remove(n)
    limit = math.ceil(a.n / a.concurrency) * a.latency
    proc, api_base, stats_url = start_server(a.latency)
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    try:
        for r in range(a.rounds):
            for name in names:
                with tempfile.TemporaryDirectory() as tmp:
                    work = Path(tmp)
                    cmds = write_inputs(work, api_base, a.n, a.concurrency, f"{name}{r}-{time.time()}")
                    # inspect_ai asks one model per run: give it N prompts of one model, the same N requests
                    if name == "inspect_ai":
                        cfg = json.loads((work / "cfg.json").read_text())
                        cfg["prompts"] = prompts(a.n, f"i{r}-{time.time()}")
                        (work / "cfg.json").write_text(json.dumps(cfg))
                    whole, sending, requests = run_one(name, cmds[name], work, api_base, stats_url)
                    if requests != a.n:
                        raise RuntimeError(f"{name} sent {requests} requests, expected {a.n}")
                    times[name].append((whole, sending))
    finally:
        proc.terminate()
        proc.wait(10)

    print(f"{a.n} requests, concurrency {a.concurrency}, server latency {a.latency * 1000:.0f} ms "
          f"(server in its own process); median of {a.rounds} interleaved rounds [best]")
    print(f"limit ceil(N/c) x latency: {limit:.3f} s")
    print(f"{'':<11} {'whole process':>20} {'sending':>18} {'sending/limit':>14}")
    med = {n: (statistics.median(w for w, _ in ts), statistics.median(s for _, s in ts)) for n, ts in times.items()}
    for n, ts in times.items():
        w, s = med[n]
        print(f"{n:<11} {w:8.2f} s [{min(x for x, _ in ts):5.2f}]   {s:6.2f} s [{min(y for _, y in ts):5.2f}]"
              f" {s / limit:10.2f}x")
    if "advisor" in med:
        aw, asend = med["advisor"]
        others = [n for n in med if n != "advisor"]
        if others:
            print("advisor whole process vs: " + ", ".join(f"{n} {aw / med[n][0]:.2f}x" for n in others))
        ahead = all(aw < med[n][0] for n in ("promptfoo", "openai") if n in med)
        print(f"target: whole process ahead of promptfoo and the openai SDK -> {'met' if ahead else 'NOT met'}; "
              f"sending within 1.2x of the limit -> {'met' if asend <= 1.2 * limit else 'NOT met'} "
              f"({asend / limit:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
