"""Throughput of the probe runner: N requests at concurrency C against a local server with fixed latency.

Prints the wall time of the advisor runner (litellm underneath, with the
sqlite cache writing every answer) against the limit ceil(N/C) x latency,
against bare ``litellm.acompletion`` calls (so what the runner itself adds is
visible) and against the official ``openai.AsyncOpenAI`` client doing the
same work. Import time is measured and printed separately, not counted in the
batches. The three are interleaved run by run; the best of ``--repeat`` is
compared, as other processes on a shared machine only ever add time.

The server runs in its own process (``tests/probe/server.py``) so it does not
share this event loop. Nothing here touches the network beyond 127.0.0.1.

    python bench/probe_throughput.py [--n 200] [--concurrency 20] [--latency 0.2] [--repeat 3]
                                     [--model openai/gpt-4o-mini] [--httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy")


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.probe.server", str(latency)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())  # type: ignore[union-attr]
    return proc, f"http://127.0.0.1:{port}/v1"


def messages(i: int, tag: str) -> list[dict[str, str]]:
    # Distinct per request (and per run) so nothing is deduplicated or cached.
    return [{"role": "system", "content": "Route the ticket. Answer with the queue only."},
            {"role": "user", "content": f"[{tag}-{i}] My parcel {i} never arrived."}]


async def run_advisor(api_base: str, n: int, c: int, tag: str, model: str = "openai/base") -> float:
    from advisor.core.probe.cache import ResponseCache
    from advisor.core.probe.runner import Runner

    with tempfile.TemporaryDirectory() as tmp:
        cache = ResponseCache(Path(tmp) / "bench.sqlite")
        runner = Runner(cache, api_base=api_base, concurrency=c, timeout_s=30, max_retries=2, backoff_s=0.5)
        settings = {"temperature": 0, "max_tokens": 16}
        await runner.run([runner.make_call(model, messages(-1, tag + "w"), settings)])  # warm-up
        calls = [runner.make_call(model, messages(i, tag), settings) for i in range(n)]
        t0 = time.perf_counter()
        results = await runner.run(calls)
        wall = time.perf_counter() - t0
        cache.close()
    errors = sum(1 for r in results.values() if r.error)
    assert errors == 0, f"{errors} errors"
    return wall


async def run_litellm(api_base: str, n: int, c: int, tag: str, model: str = "openai/base") -> float:
    """Bare ``litellm.acompletion`` + semaphore + gather: what the runner adds on top is the difference."""
    from advisor.core.probe.runner import _litellm

    litellm = _litellm()
    limit = asyncio.Semaphore(c)

    async def one(i: int) -> str:
        async with limit:
            r = await litellm.acompletion(model=model, messages=messages(i, tag), api_base=api_base,
                                          temperature=0, max_tokens=16, num_retries=0, max_retries=0, timeout=30)
            return r.choices[0].message.content or ""

    await one(-1)  # warm-up
    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0


async def run_openai(api_base: str, n: int, c: int, tag: str) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=api_base, api_key=os.environ["OPENAI_API_KEY"], max_retries=2, timeout=30)
    limit = asyncio.Semaphore(c)

    async def one(i: int) -> str:
        async with limit:
            r = await client.chat.completions.create(model="base", messages=messages(i, tag),  # type: ignore[arg-type]
                                                     temperature=0, max_tokens=16)
            return r.choices[0].message.content or ""

    await one(-1)  # warm-up
    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - t0
    await client.close()
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default="openai/base",
                    help="litellm model string for the runner (openai/gpt-4o-mini takes litellm's priced path)")
    ap.add_argument("--httpx", action="store_true", help="litellm over httpx instead of its aiohttp transport")
    a = ap.parse_args()
    if a.latency <= 0 or a.n <= 0 or a.concurrency <= 0:
        ap.error("--latency, --n and --concurrency must be > 0")
    limit = math.ceil(a.n / a.concurrency) * a.latency
    proc, api_base = start_server(a.latency)
    try:
        t0 = time.perf_counter()
        from advisor.core.probe.runner import _litellm

        litellm = _litellm()
        if a.httpx:
            litellm.disable_aiohttp_transport = True
        t_import_litellm = time.perf_counter() - t0
        t0 = time.perf_counter()
        import openai  # noqa: F401

        t_import_openai = time.perf_counter() - t0  # mostly already loaded by litellm

        adv, bare, oai = [], [], []
        for r in range(a.repeat):  # interleaved, so load from other processes hits all three alike
            adv.append(asyncio.run(run_advisor(api_base, a.n, a.concurrency, f"a{r}-{time.time()}", a.model)))
            bare.append(asyncio.run(run_litellm(api_base, a.n, a.concurrency, f"l{r}-{time.time()}", a.model)))
            oai.append(asyncio.run(run_openai(api_base, a.n, a.concurrency, f"o{r}-{time.time()}")))
    finally:
        proc.terminate()
        proc.wait(10)

    best_a, best_l, best_o = min(adv), min(bare), min(oai)
    print(f"{a.n} requests, concurrency {a.concurrency}, server latency {a.latency * 1000:.0f} ms "
          f"(server in its own process), best of {a.repeat}")
    print(f"limit ceil(N/c) x latency        {limit:6.3f} s")
    print(f"advisor runner (litellm + cache) {best_a:6.3f} s   {best_a / limit:5.2f}x limit   "
          f"{best_a / best_o:5.2f}x openai   runs: {', '.join(f'{x:.3f}' for x in adv)}")
    print(f"litellm.acompletion + semaphore  {best_l:6.3f} s   {best_l / limit:5.2f}x limit   "
          f"{best_l / best_o:5.2f}x openai   runs: {', '.join(f'{x:.3f}' for x in bare)}")
    print(f"openai.AsyncOpenAI + semaphore   {best_o:6.3f} s   {best_o / limit:5.2f}x limit   "
          f"runs: {', '.join(f'{x:.3f}' for x in oai)}")
    print(f"import litellm (not counted)     {t_import_litellm:6.3f} s; then openai {t_import_openai:.3f} s")
    target = 1.15
    print(f"target: advisor within {target}x of the limit -> {'met' if best_a <= target * limit else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
