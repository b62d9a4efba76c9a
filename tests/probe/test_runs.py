"""Probe runs over real HTTP against the local server; expected values come from its planted behaviours."""

from __future__ import annotations

import json
import re

import pytest

from advisor.core.probe import evidence_facts, record_section, render_markdown
from advisor.core.probe.config import load_config
from advisor.core.probe.engine import run_probe
from advisor.core.probe.runner import SilentProgress
from tests.probe.conftest import SECRET
from tests.probe.server import DATA, base_task_wrong, forgetful_general_wrong
from tests.probe.server import Oracle as _Oracle

N_TASK = sum(1 for line in (DATA / "eval.jsonl").read_text().splitlines() if line.strip())
N_KB = sum(1 for line in (DATA / "kb.jsonl").read_text().splitlines() if line.strip())
BASE_TASK_MEAN = 1 - sum(base_task_wrong(i) for i in range(N_TASK)) / N_TASK  # 45/60
N_GENERAL = len(_Oracle.load().general)


def suite(report, sid):
    return next(s for s in report["suites"] if s["id"] == sid)


async def run(path, **kw):
    cfg = load_config(path)
    return await run_probe(cfg, **kw)


async def test_task_improvement_with_contract_keys(make_config, srv):
    report = await run(make_config(base="base", candidate="tuned", suites="[task]"))
    assert set(report) >= {"models", "settings", "suites", "cost_usd"}
    assert report["models"] == {"base": "openai/base", "candidate": "openai/tuned"}
    assert set(report["settings"]) >= {"temperature", "max_tokens", "system_prompt_sha256"}
    t = suite(report, "task")
    assert set(t) >= {"id", "n", "base", "candidate", "delta", "ci95", "verdict"}
    assert set(t["base"]) >= {"mean", "std", "errors"}
    assert t["n"] == N_TASK
    assert t["base"]["mean"] == pytest.approx(BASE_TASK_MEAN, abs=1e-4)
    assert t["candidate"]["mean"] == 1.0
    assert t["delta"] == pytest.approx(1 - BASE_TASK_MEAN, abs=1e-4)
    assert t["ci95"][0] > 0 and t["verdict"] == "improvement"
    assert t["wins"] == N_TASK - round(BASE_TASK_MEAN * N_TASK) and t["losses"] == 0
    # every discordant pair favours the candidate: exact McNemar p = 2 * 0.5**k
    k = t["mcnemar"]["candidate_only"]
    assert t["mcnemar"]["base_only"] == 0 and t["mcnemar"]["p"] == pytest.approx(min(1, 2 * 0.5**k), rel=1e-3)
    assert report["run"]["requests_sent"] == 2 * N_TASK == srv.server.total
    assert "no price" in report["cost_note"] and report["cost_usd"] == 0
    # the key went out with the requests (so the leak checks below mean something)
    assert any(SECRET in h.get("Authorization", "") for h in srv.server.headers_seen)


async def test_general_regression_is_caught(make_config):
    report = await run(make_config(base="base", candidate="forgetful", suites="[general]"))
    g = suite(report, "general")
    wrong = sum(forgetful_general_wrong(i) for i in range(N_GENERAL))
    assert g["n"] == N_GENERAL >= 60
    assert g["base"]["mean"] == 1.0
    assert g["candidate"]["mean"] == pytest.approx(1 - wrong / N_GENERAL, abs=1e-4)
    assert g["verdict"] == "regression" and g["ci95"][1] < 0
    assert g["losses"] == wrong
    assert g["scorer"] == "mixed"  # the general set scores each item its own way
    # 22 one-sided discordant pairs: p = 2 * 0.5**22, tiny but not rounded to 0
    assert g["mcnemar"]["p"] == pytest.approx(2 * 0.5**wrong, rel=5e-3) and g["mcnemar"]["p"] > 0
    assert set(g["by_category"]) == {"arithmetic", "instruction", "formatting", "reasoning", "knowledge"}
    assert evidence_facts(report)["evidence.general_verdict"] == "regression"


async def test_shift_exposes_the_brittle_candidate(make_config):
    report = await run(make_config(base="base", candidate="brittle", suites="[task, shift]"))
    t, s = suite(report, "task"), suite(report, "shift")
    assert t["candidate"]["mean"] == 1.0  # brittle is perfect on the clean inputs
    assert s["n"] == 5 * N_TASK
    # five copies of an input are one input's evidence: resampled by input, no McNemar on copies
    assert s["clusters"] == N_TASK and "mcnemar" not in s
    assert s["drop"]["base"] == pytest.approx(0.0, abs=1e-9)  # base is robust: same answers when shifted
    assert s["drop"]["candidate"] > 0.9  # wrong on every input a perturbation actually changed
    assert s["verdict"] == "regression"
    assert set(s["by_perturbation"]) == {"typos", "case", "punct_spacing", "truncate", "distractor"}
    facts = evidence_facts(report)
    assert facts["evidence.shift_drop_candidate"] == s["drop"]["candidate"]
    assert facts["evidence.shift_drop_base"] == 0.0
    assert facts["evidence.shift_drop_excess"] == pytest.approx(s["drop"]["candidate"] - s["drop"]["base"], abs=1e-6)
    assert "overfitting" in record_section(report)


async def test_knowledge_context_gain_and_a_model_that_ignores_context(make_config):
    report = await run(make_config(base="base", candidate="nocontext", suites="[knowledge]",
                                   eval_set="kb.jsonl", scorer="contains"))
    k = suite(report, "knowledge")
    assert k["n"] == N_KB
    assert k["closed_book"]["base"]["mean"] == 0.0 and k["closed_book"]["candidate"]["mean"] == 0.0
    assert k["with_context"]["base"]["mean"] == 1.0 and k["with_context"]["candidate"]["mean"] == 0.0
    assert k["context_gain"]["base"]["delta"] == 1.0 and k["context_gain"]["base"]["verdict"] == "improvement"
    assert k["context_gain"]["candidate"]["delta"] == 0.0
    facts = evidence_facts(report)
    assert facts["evidence.knowledge_context_gain"] == 1.0
    assert facts["evidence.knowledge_verdict"] == "improvement"
    assert facts["evidence.task_verdict"] is None  # task did not run


async def test_format_suite_with_schema(make_config):
    report = await run(make_config(base="base", candidate="prose", suites="[format]",
                                   extra="format: {schema: answer.schema.json}\n"))
    f = suite(report, "format")
    assert f["scorer"] == "json_schema"
    assert f["base"]["mean"] == 1.0 and f["candidate"]["mean"] == 0.0
    assert f["verdict"] == "regression"
    assert evidence_facts(report)["evidence.format_verdict"] == "regression"


async def test_prompted_baseline_arm(make_config):
    extra = ("prompted_baseline:\n  system_prompt: You are a careful router.\n"
             "  few_shot:\n    - {input: I was double charged, output: billing}\n")
    report = await run(make_config(base="base", candidate="tuned", suites="[task]", extra=extra))
    t = suite(report, "task")
    # the server's base model ignores prompts, so the prompted arm scores like base
    assert t["prompted"]["mean"] == pytest.approx(BASE_TASK_MEAN, abs=1e-4)
    assert t["vs_prompted"]["verdict"] == "improvement"
    assert "prompted_system_prompt_sha256" in report["settings"] and report["settings"]["prompted_few_shot"] == 1
    assert "prompted baseline" in record_section(report)


def _set(path, **settings):
    text = path.read_text()
    for key, value in settings.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, flags=re.M)
    path.write_text(text)


@pytest.mark.parametrize("fault", ["429", "500", "garbage", "hang"])
async def test_faults_are_retried_and_no_case_is_lost(make_config, srv, fault, monkeypatch):
    """Count what the test planted (the server's own count of injected faults per request), never
    what a slow machine adds: a healthy request that times out on a loaded CI machine is retried too.

    The base arm is answered first, into the cache, with a timeout no load reaches; the faulty run
    then sends only candidate requests. Only the hang needs a short timeout, and it is the one
    timing that remains: the 60 retries after the hang must each answer within it.
    """
    path = make_config(base="base", candidate="tuned", suites="[task]")
    _set(path, timeout_s=60)
    warm = await run(path)
    assert warm["run"]["requests_sent"] == 2 * N_TASK and warm["run"]["errors"] == 0
    srv.server.reset()

    _set(path, models=f"{{base: openai/base, candidate: openai/{fault}+tuned}}")
    if fault == "hang":
        # all hangs in one wave (the test waits for one timeout, not four), hanging past the timeout
        _set(path, concurrency=128, timeout_s=4)
        monkeypatch.setattr(srv.server, "hang_s", 8.0)
    report = await run(path)
    t = suite(report, "task")
    assert t["n"] == N_TASK and t["candidate"]["errors"] == 0 and t["candidate"]["mean"] == 1.0
    faulted = {fp: n for (model, fp), n in srv.server.faults.items() if model == f"{fault}+tuned"}
    assert len(faulted) == N_TASK and set(faulted.values()) == {1}, "one fault per distinct candidate request"
    assert set(srv.server.requests) == {f"{fault}+tuned"}, "the base answers came from the cache"
    # every faulted request came back for another attempt, which answered (errors 0, mean 1.0 above)
    assert all(srv.server.attempts[fp] >= 2 for fp in faulted)
    run_block = report["run"]
    assert run_block["cache_hits"] == N_TASK and run_block["requests_sent"] == N_TASK
    assert run_block["retries"] >= len(faulted)
    # the runner's count agrees with the repeats the server saw (an attempt that timed out
    # before it reached the server is a retry the server never saw, hence >=)
    assert run_block["retries"] >= srv.server.total - len(srv.server.attempts) >= len(faulted)
    assert run_block["attempts"] == run_block["requests_sent"] + run_block["retries"]
    assert run_block["errors"] == 0


async def test_a_dead_model_ends_in_counted_errors_not_zeros(make_config, srv):
    report = await run(make_config(base="base", candidate="down+tuned", suites="[task]"))
    t = suite(report, "task")
    assert t["candidate"]["errors"] == N_TASK and t["candidate"]["mean"] is None
    assert t["base"]["errors"] == 0 and t["base"]["mean"] == pytest.approx(BASE_TASK_MEAN, abs=1e-4)
    assert t["n"] == 0 and t["verdict"] == "no_difference"
    assert len(t["per_case"]) == N_TASK and all(r["outcome"] == "error" for r in t["per_case"])
    assert srv.server.requests["down+tuned"] == N_TASK * (1 + 3)  # max_retries: 3
    assert any("errors" in w for w in t["warnings"])


async def test_second_run_is_served_from_the_cache(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="tuned", suites="[task, general]")
    first = await run(path)
    sent = srv.server.total
    assert sent == 2 * (N_TASK + N_GENERAL)
    second = await run(path, resume=True)
    assert srv.server.total == sent  # nothing re-sent
    assert second["run"]["cache_hits"] == sent and second["run"]["requests_sent"] == 0
    # The second run's rows say every answer came from the cache (and when); otherwise they are the first run's.
    rows2 = [r for s in second["suites"] for r in s["per_case"]]
    assert all(set(r.pop("cached")) == {"base", "candidate"} for r in rows2)
    assert not any("cached" in r for s in first["suites"] for r in s["per_case"])
    assert second["suites"] == first["suites"]
    prov = second["provenance"]
    assert prov["base"]["cached"] == prov["base"]["answers"] == N_TASK + N_GENERAL and prov["base"]["sent"] == 0
    assert prov["candidate"]["cached_from"] <= prov["candidate"]["cached_to"]
    assert first["provenance"]["candidate"]["sent"] == N_TASK + N_GENERAL
    assert second["cost_note"] == first["cost_note"] and "no price" in second["cost_note"]
    third = await run(path, use_cache=False)
    assert srv.server.total == 2 * sent and third["run"]["cache_hits"] == 0


async def test_resume_without_an_earlier_run_is_a_usage_error(make_config):
    from advisor.errors import UserError

    with pytest.raises(UserError, match="nothing to resume"):
        await run(make_config(), resume=True)


async def test_budget_cap_stops_sending(make_config, srv):
    import litellm  # the test may import it; the product imports it only when probing

    # A price for this model name, through litellm's own cost registry (no patching).
    litellm.register_model({"openai/priced+tuned": {
        "input_cost_per_token": 0.001, "output_cost_per_token": 0.001, "litellm_provider": "openai", "mode": "chat"}})
    path = make_config(base="base", candidate="priced+tuned", suites="[task]", extra="budget_usd: 0.05\n")
    path.write_text(path.read_text().replace("concurrency: 16", "concurrency: 1"))
    report = await run(path)
    t = suite(report, "task")
    assert report["run"]["budget_reached"] is True
    sent = srv.server.requests["priced+tuned"]
    assert 1 <= sent < N_TASK
    # the server counts tokens as words; a call here costs well under 0.05 USD
    assert 0.05 <= report["cost_usd"] < 0.10
    assert t["candidate"]["n"] == sent and t["candidate"]["errors"] == N_TASK - sent  # none lost
    assert any("budget" in w for w in report["warnings"])
    assert "openai/priced+tuned" not in (report["cost_note"] or "")


async def test_judge_scorer_is_labelled(make_config):
    report = await run(make_config(base="base", candidate="tuned", suites="[task]",
                                   scorer="{type: judge, model: openai/judge, rubric: Names the right queue.}"))
    t = suite(report, "task")
    assert t["scored_by"] == "judge"
    assert t["base"]["mean"] == pytest.approx(BASE_TASK_MEAN, abs=1e-4) and t["candidate"]["mean"] == 1.0
    assert report["models"]["judge"] == "openai/judge"
    assert "[judge-scored]" in record_section(report)
    assert any("judge-scored" in w for w in t["warnings"])


async def test_paraphrases_from_a_configured_model(make_config, srv):
    report = await run(make_config(base="base", candidate="brittle", suites="[shift]",
                                   extra="shift: {perturbations: [case], paraphrase_model: openai/paraphraser}\n"))
    s = suite(report, "shift")
    assert set(s["by_perturbation"]) == {"case", "paraphrase"}
    assert s["by_perturbation"]["paraphrase"]["candidate"] == 0.0  # brittle fails every rewording
    assert s["by_perturbation"]["paraphrase"]["base"] == pytest.approx(BASE_TASK_MEAN, abs=1e-4)
    assert report["models"]["paraphrase"] == "openai/paraphraser"
    assert srv.server.requests["paraphraser"] == N_TASK


async def test_progress_protocol_sees_every_request(make_config):
    prog = SilentProgress()
    await run(make_config(suites="[task]"), progress=prog)
    assert prog.total == prog.done == 2 * N_TASK


async def test_renderers_work_from_json_alone(make_config):
    report = await run(make_config(base="base", candidate="forgetful", suites="[task, general]"))
    data = json.loads(json.dumps(report))
    md = render_markdown(data)
    assert "| general (built-in capability set) |" in md and "regression" in md
    sec = record_section(data)
    assert sec.startswith("### Evidence from probe runs")
    assert "openai/forgetful" in sec and "temperature=0" in sec
    facts = evidence_facts(data)
    assert set(facts) == {
        "evidence.task_delta", "evidence.task_verdict", "evidence.general_verdict", "evidence.shift_drop_base",
        "evidence.shift_drop_candidate", "evidence.shift_drop_excess", "evidence.knowledge_context_gain",
        "evidence.knowledge_verdict",
        "evidence.format_verdict",
    }
    assert facts["evidence.task_delta"] == pytest.approx(1 - BASE_TASK_MEAN, abs=1e-4)
    assert facts["evidence.shift_drop_base"] is None and facts["evidence.format_verdict"] is None


def test_small_n_warning_in_the_record():
    report = {"models": {"base": "a", "candidate": "b"}, "settings": {"temperature": 0}, "cost_usd": 0,
              "suites": [{"id": "task", "n": 12, "base": {"mean": 0.5, "std": 0.5, "errors": 0},
                          "candidate": {"mean": 0.6, "std": 0.5, "errors": 0}, "delta": 0.1, "ci95": [-0.2, 0.4],
                          "verdict": "no_difference", "warnings": ["only 12 paired cases (fewer than 50)"]}]}
    sec = record_section(report)
    assert "only 12 paired cases" in sec and "| task (your eval set) | 12 |" in sec
    assert evidence_facts({})["evidence.task_verdict"] is None


async def test_request_starts_are_paced_by_cpu_per_call(tmp_path):
    """A burst of free slots leaves as a spaced sequence, not as one burst (see Runner._pace)."""
    import time

    from advisor.core.probe.cache import ResponseCache
    from advisor.core.probe.runner import _FIRST_GAP_S, Runner

    runner = Runner(ResponseCache(tmp_path / "c.sqlite"))
    await runner._pace()  # not sending yet: no wait
    runner._cpu0 = time.thread_time()
    t0 = time.monotonic()
    for _ in range(6):
        await runner._pace()
    assert time.monotonic() - t0 >= 5 * _FIRST_GAP_S * 0.9  # the first goes at once, then one gap each
    runner._finished = 1000  # measured: a tiny CPU cost per call means almost no spacing
    t0 = time.monotonic()
    runner._next_start = 0.0
    for _ in range(6):
        await runner._pace()
    assert time.monotonic() - t0 < 0.05
    runner.cache.close()
