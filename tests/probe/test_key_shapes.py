"""Keys that are not ``sk-``-shaped stay out of the report when a provider echoes them.

The server's ``keyecho`` model answers every call with a 401 that repeats the
key it was sent; only the environment-variable pattern of the redaction can
catch these shapes, so this pins that pattern end to end (real HTTP, real litellm).
"""

from __future__ import annotations

import json

import pytest

from advisor.core.probe import render_markdown
from advisor.core.probe.config import load_config
from advisor.core.probe.engine import run_probe


@pytest.mark.parametrize("key", ["3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"])
async def test_an_echoed_key_of_any_shape_is_redacted_in_the_report(make_config, srv, monkeypatch, key):
    monkeypatch.setenv("OPENAI_API_KEY", key)
    report = await run_probe(load_config(make_config(base="base", candidate="keyecho+tuned", suites="[task]")))
    assert any(key in h.get("Authorization", "") for h in srv.server.headers_seen), "the key went out"
    text = json.dumps(report)
    first = report["suites"][0]["per_case"][0]["errors"]["candidate"]
    assert "Incorrect API key provided: [redacted]" in first, first
    assert key not in text and key not in render_markdown(report)
