"""The direct OpenAI-compatible path and the litellm path give the same results on the same server.

Each test runs one config twice, ``transport: auto`` (``openai/`` models sent
directly) and ``transport: litellm``, each with its own cache, and compares
what a report is made of: per-case scores, errors, retries, tokens, cost.
"""

from __future__ import annotations

import pytest

from advisor.core.probe.config import load_config
from advisor.core.probe.engine import run_probe

N_TASK = 60


async def both(make_config, srv, tmp_path, **kw):
    out = {}
    for transport in ("auto", "litellm"):
        path = make_config(extra=f"transport: {transport}\n", **kw)
        srv.server.reset()
        out[transport] = await run_probe(load_config(path), cache_path=tmp_path / f"{transport}.sqlite")
        out[transport]["_server"] = dict(srv.server.requests)
    return out["auto"], out["litellm"]


def rows(report):
    return [(s["id"], r["id"], r["base"], r["candidate"], sorted((r.get("errors") or {})))
            for s in report["suites"] for r in s["per_case"]]


def test_the_direct_path_is_taken_for_openai_models_only():
    from advisor.core.probe.config import Endpoint
    from advisor.core.probe.direct import is_direct

    assert is_direct(Endpoint("openai/tuned", "http://127.0.0.1:1/v1"))
    assert is_direct(Endpoint("openai/tuned", None, params={"extra_body": {"top_k": 1}}))
    assert not is_direct(Endpoint("anthropic/claude-3-haiku", None))
    assert not is_direct(Endpoint("openai/tuned", None, params={"logit_bias": {}}))  # litellm translates that
    assert not is_direct(Endpoint("cand", None, router=True))
    assert not is_direct(Endpoint("openai/tuned", None), transport="litellm")


async def test_same_scores_tokens_and_retries_with_faults(make_config, srv, tmp_path):
    direct, via_litellm = await both(make_config, srv, tmp_path, base="429+base", candidate="garbage+tuned",
                                     suites="[task, general]")
    assert rows(direct) == rows(via_litellm)
    assert direct["tokens"] == via_litellm["tokens"]
    calls = 2 * (N_TASK + 64)
    for k in ("requests_sent", "errors", "cache_hits"):
        assert direct["run"][k] == via_litellm["run"][k], k
    # every call met its fault once and was retried (a loaded machine may add timeouts on top, on either path)
    for report in (direct, via_litellm):
        assert report["run"]["requests_sent"] == calls and report["run"]["errors"] == 0
        assert report["run"]["retries"] >= calls
        assert report["_server"]["429+base"] >= calls and report["_server"]["garbage+tuned"] >= calls
    assert [s["verdict"] for s in direct["suites"]] == [s["verdict"] for s in via_litellm["suites"]]
    assert direct["endpoints"]["base"]["via"] == "direct" and via_litellm["endpoints"]["base"]["via"] == "litellm"


async def test_same_cost_for_a_priced_model(make_config, srv, tmp_path):
    # the server answers as whatever model it is asked for; litellm has a price for gpt-4o-mini
    direct, via_litellm = await both(make_config, srv, tmp_path, base="base", candidate="gpt-4o-mini",
                                     suites="[task]")
    assert via_litellm["cost_usd"] > 0
    assert direct["cost_usd"] == pytest.approx(via_litellm["cost_usd"], rel=1e-9)
    assert direct["cost_note"] == via_litellm["cost_note"]  # both name openai/base as unpriced


async def test_timeouts_are_retried_alike(make_config, srv, tmp_path):
    direct, via_litellm = await both(make_config, srv, tmp_path, base="base", candidate="hang+tuned",
                                     suites="[task]")
    assert rows(direct) == rows(via_litellm)
    for report in (direct, via_litellm):
        assert report["run"]["retries"] >= N_TASK and report["run"]["errors"] == 0


async def test_auth_failures_are_not_retried_and_are_redacted_alike(make_config, srv, tmp_path):
    from tests.probe.conftest import SECRET

    direct, via_litellm = await both(make_config, srv, tmp_path, base="base", candidate="keyecho+tuned",
                                     suites="[task]")
    for report in (direct, via_litellm):
        t = report["suites"][0]
        assert t["candidate"]["errors"] == N_TASK and report["run"]["retries"] == 0
        first = t["per_case"][0]["errors"]["candidate"]
        assert first.startswith("AuthenticationError (401)") and "[redacted]" in first and SECRET not in first


async def test_a_server_that_keeps_failing_ends_in_the_same_errors(make_config, srv, tmp_path):
    direct, via_litellm = await both(make_config, srv, tmp_path, base="base", candidate="down+tuned",
                                     suites="[task]")
    assert rows(direct) == rows(via_litellm)
    for report in (direct, via_litellm):
        first = report["suites"][0]["per_case"][0]["errors"]["candidate"]
        assert first.startswith("InternalServerError (500)") and "after 4 attempts" in first
    for report in (direct, via_litellm):
        assert report["run"]["attempts"] >= N_TASK * 4 + N_TASK  # every candidate call used all its attempts
