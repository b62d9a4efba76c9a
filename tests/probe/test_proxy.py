"""A litellm proxy in front of the test server: load balancing and fallback, reported as such.

The proxy is litellm's own (``litellm --config``), which needs the proxy's
extra dependencies; it runs from the venv named by ``ADVISOR_LITELLM_PROXY``
(the ``litellm`` script) or ``bench/.tools/proxy-venv/bin/litellm``, and the
test is skipped when neither is there (``python bench/probe_throughput.py
--setup-proxy`` makes that venv).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from advisor.core.probe.config import load_config
from advisor.core.probe.engine import run_probe
from tests.probe.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
PROXY = Path(os.environ.get("ADVISOR_LITELLM_PROXY") or ROOT / "bench" / ".tools" / "proxy-venv" / "bin" / "litellm")
MASTER = "sk-proxy-test-master-key-5b8e1f0c2d9a7346"
N_TASK = 60

pytestmark = pytest.mark.skipif(not PROXY.exists(), reason=f"no litellm proxy at {PROXY}")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def proxy(tmp_path, srv):
    port = _port()
    cfg = tmp_path / "proxy.yaml"
    cfg.write_text(
        "model_list:\n"
        f"  - {{model_name: cand, litellm_params: {{model: openai/down+tuned, api_base: '{srv.api_base}', api_key: x}}}}\n"
        f"  - {{model_name: cand-backup, litellm_params: {{model: openai/tuned, api_base: '{srv.api_base}', api_key: x}}}}\n"
        f"  - {{model_name: base, litellm_params: {{model: openai/base, api_base: '{srv.api_base}', api_key: x}}}}\n"
        f"  - {{model_name: base, litellm_params: {{model: openai/base, api_base: '{srv.api_base}', api_key: x}}}}\n"
        "router_settings: {fallbacks: [{cand: [cand-backup]}], num_retries: 0}\n"
        "litellm_settings: {num_retries: 0}\n"
    )
    env = {**os.environ, "LITELLM_MASTER_KEY": MASTER, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    proc = subprocess.Popen([str(PROXY), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(base + "/health/liveliness", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("the litellm proxy exited at start")
                time.sleep(0.5)
        else:
            pytest.fail("the litellm proxy did not start")
        yield base + "/v1"
    finally:
        proc.terminate()
        proc.wait(20)


async def test_a_probe_through_the_litellm_proxy_reports_its_fallback(tmp_path, srv, proxy, monkeypatch):
    monkeypatch.setenv("PROXY_KEY", MASTER)
    path = write_config(tmp_path, proxy, suites="[task]")
    text = path.read_text().split("\n", 1)[1].replace("timeout_s: 1\n", "timeout_s: 30\n")
    path.write_text("models:\n"
                    f"  base: {{model: openai/base, api_base: '{proxy}', api_key_env: PROXY_KEY}}\n"
                    f"  candidate: {{model: openai/cand, api_base: '{proxy}', api_key_env: PROXY_KEY}}\n" + text)
    report = await run_probe(load_config(path))
    t = report["suites"][0]
    assert t["base"]["errors"] == t["candidate"]["errors"] == 0
    assert t["base"]["mean"] == 0.75 and t["candidate"]["mean"] == 1.0  # the backup (tuned) answered
    assert report["provenance"]["candidate"]["fallbacks"] == N_TASK
    assert report["provenance"]["base"]["fallbacks"] == 0
    assert any("fallback" in w and "cand-backup" in w for w in report["warnings"])
    assert srv.server.requests["base"] == N_TASK and srv.server.requests["tuned"] == N_TASK
    assert MASTER not in repr(report)
