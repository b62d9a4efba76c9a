"""One probe run end to end: config -> cases -> calls -> scores -> report JSON.

The phases: (1) paraphrases for the shift suite, if a paraphrase model is
configured; (2) every arm of every case; (3) judge calls for judge-scored
cases. Each phase goes through the same :class:`Runner` (same cache, limits,
budget and totals).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional

from advisor import __version__
from advisor.core.probe.cache import ResponseCache
from advisor.core.probe.config import ProbeConfig, sha256_text
from advisor.core.probe.perturb import paraphrase_messages
from advisor.core.probe.report import Outcome, arm_block, clean_api_base, compare, suite_block
from advisor.core.probe import direct
from advisor.core.probe.provenance import error_impact, provenance
from advisor.core.probe.runner import Call, CallResult, Progress, Runner, prefetch_litellm
from advisor.core.probe.scorers import judge_messages, parse_judge
from advisor.core.probe.suites import Case, build_cases, paraphrase_inputs
from advisor.errors import UserError

JUDGE_SETTINGS = {"temperature": 0, "max_tokens": 8}
PARAPHRASE_SETTINGS = {"temperature": 0, "max_tokens": 512}
DEFAULT_CACHE = ".advisor-probe-cache.sqlite"


def default_cache_path(cfg: ProbeConfig) -> Path:
    """``cache:`` from the config, else ``.advisor-probe-cache.sqlite`` beside the config."""
    return cfg.resolve(cfg.cache) if cfg.cache else cfg.resolve(DEFAULT_CACHE)


def run_id(cfg: ProbeConfig, suites: list[str]) -> str:
    """sha256 naming a run (config + suites), for resume bookkeeping."""
    blob = json.dumps({"cfg": cfg.model_dump(mode="json", by_alias=True), "suites": sorted(suites)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def arm_model(arm: str) -> str:
    """Which model an arm asks: ``base`` for base, prompted and base_ctx; ``candidate`` for the others."""
    return "base" if arm in ("prompted", "base_ctx", "base") else "candidate"


def needs_litellm(cfg: ProbeConfig) -> bool:
    """Whether a run of ``cfg`` may call through litellm (else every model is called directly, no import)."""
    return any(not direct.is_direct(ep, cfg.transport) for ep in cfg.endpoints())


def check_keys(cfg: ProbeConfig) -> None:
    """Every environment variable the config names for a key is set (else exit 2 before anything is sent)."""
    for ep in cfg.endpoints():
        if ep.api_key_env and not os.environ.get(ep.api_key_env):
            raise UserError(f"names the environment variable {ep.api_key_env} for its API key, but it is not set "
                            "(a local server that checks no key still needs some value, e.g. "
                            f"{ep.api_key_env}=none)", file=cfg._file, key=f"{ep.where}.api_key_env")
    if cfg.router is not None:
        for d in cfg.router.model_list:
            env = d["litellm_params"].get("api_key_env")
            if env and not os.environ.get(env):
                raise UserError(f"deployment {d['model_name']} names the environment variable {env} for its API "
                                "key, but it is not set", file=cfg._file, key="router.model_list")


def _outcome(res: Optional[CallResult], case: Case) -> Outcome:
    if res is None:  # pragma: no cover - the runner answers every key
        return Outcome(error="no result")
    if res.error is not None:
        return Outcome(error=res.error)
    if case.scoring.kind == "judge":
        return Outcome()  # scored in the judge phase
    try:
        return Outcome(score=case.scoring.score(res.content or ""))
    except Exception as e:  # noqa: BLE001 - a scorer bug on one answer must not lose the run
        return Outcome(error=f"scorer failed: {type(e).__name__}: {e}")


async def run_probe(
    cfg: ProbeConfig,
    suites: Optional[list[str]] = None,
    *,
    progress: Optional[Progress] = None,
    cache_path: Optional[Path] = None,
    use_cache: bool = True,
    resume: bool = False,
    budget_usd: Optional[float] = None,
    general_path: Optional[Path] = None,
    on_wait: Optional[Callable[[str], None]] = None,
) -> dict[str, Any]:
    """Run the selected suites and return the report (docs/formats.md section 4 JSON).

    Args:
        cfg: the validated config.
        suites: suite ids (default: the config's ``suites``).
        progress: progress display (default: silent).
        cache_path: sqlite cache (default: beside the config).
        use_cache: read cached responses (writing happens regardless).
        resume: require an earlier, unfinished run of the same config in the cache.
        budget_usd: overrides the config's ``budget_usd``.
        general_path: another general set file (tests).
        on_wait: told once when another run holds the cache and this one waits for it.

    Returns:
        The report dict, ready for ``json.dumps``.

    Raises:
        UserError: bad eval set, or ``resume`` with nothing to resume.
        KeyboardInterrupt: propagated; every call finished by then is in the cache.
    """
    t0 = time.perf_counter()
    suites = list(suites or cfg.suites)
    check_keys(cfg)
    if needs_litellm(cfg):
        prefetch_litellm()  # overlaps the eval set, the cache and the lookups below
    # Build once before touching the cache: bad eval data fails fast (exit 2)
    # without creating a cache file or importing litellm.
    cases = build_cases(cfg, suites, general_path=general_path)
    cache_file = cache_path or default_cache_path(cfg)
    cache = ResponseCache(cache_file)
    rid = run_id(cfg, suites)
    try:
        # One run at a time per cache: a second run waits, then reuses the first one's answers.
        await cache.lock(on_wait)
        if resume:
            status = cache.run_status(rid)
            if status is None:
                raise UserError("nothing to resume: no earlier run of this config and these suites in the cache "
                                "(drop --resume to start one)", file=str(cache_file))
        runner = Runner(
            cache, api_base=cfg.api_base, concurrency=cfg.concurrency, timeout_s=cfg.timeout_s,
            max_retries=cfg.max_retries, backoff_s=cfg.backoff_s,
            budget_usd=budget_usd if budget_usd is not None else cfg.budget_usd,
            progress=progress, use_cache=use_cache, router=cfg.router, transport=cfg.transport,
        )
        warnings: list[str] = []

        paraphrases: Optional[dict[str, str]] = None
        if "shift" in suites and cfg.shift.paraphrase_model:
            inputs = list(dict.fromkeys(paraphrase_inputs(cfg)))
            pep = cfg.endpoint_for(cfg.shift.paraphrase_model, "shift.paraphrase_model")
            pcalls = {i: runner.make_call(pep.model, paraphrase_messages(i), PARAPHRASE_SETTINGS, pep)
                      for i in inputs}
            cache.mark_run(rid, "running", len(pcalls))
            pres = await runner.run(list(pcalls.values()), "paraphrasing")
            paraphrases = {i: (pres[c.key].content or "").strip() for i, c in pcalls.items()
                           if pres[c.key].error is None and (pres[c.key].content or "").strip()}
            missing = len(inputs) - len(paraphrases)
            if missing:
                warnings.append(f"{missing} input(s) got no paraphrase (errors or empty answers); they are left out")

        if paraphrases is not None:
            cases = build_cases(cfg, suites, paraphrases=paraphrases, general_path=general_path)
        settings = cfg.settings()
        arm_eps = {m: cfg.arm_endpoint(m) for m in ("base", "candidate")}
        calls: dict[tuple[int, str], Call] = {}
        for i, case in enumerate(cases):
            for arm, (model, msgs) in case.arms.items():
                calls[(i, arm)] = runner.make_call(model, msgs, settings, arm_eps[arm_model(arm)])
        cache.mark_run(rid, "running", len(calls))
        results = await runner.run(list(calls.values()), "probing")
        outcomes: dict[tuple[int, str], Outcome] = {
            k: _outcome(results.get(c.key), cases[k[0]]) for k, c in calls.items()
        }

        judge_keys = [k for k, o in outcomes.items() if cases[k[0]].scoring.kind == "judge" and o.error is None]
        if judge_keys:
            jcalls: dict[tuple[int, str], Call] = {}
            for k in judge_keys:
                case = cases[k[0]]
                answer = results[calls[k].key].content or ""
                msgs = judge_messages(case.scoring.rubric or "", case.question, answer, case.scoring.expected)
                jep = cfg.endpoint_for(case.scoring.judge_model or "", "scorer.model")
                jcalls[k] = runner.make_call(jep.model, msgs, JUDGE_SETTINGS, jep)
            jres = await runner.run(list(jcalls.values()), "judging")
            for k, jc in jcalls.items():
                r = jres[jc.key]
                if r.error is not None:
                    outcomes[k] = Outcome(error=f"judge: {r.error}")
                else:
                    verdict = parse_judge(r.content or "")
                    outcomes[k] = Outcome(score=verdict) if verdict is not None else Outcome(
                        error=f"judge gave no PASS/FAIL verdict: {(r.content or '')[:60]!r}")
        cache.mark_run(rid, "finished", len(calls))
    finally:
        cache.close()

    report = _report(cfg, suites, cases, outcomes, runner, warnings)
    prov, prov_warnings = provenance(cfg, cases, calls, results, report["suites"])
    report["provenance"] = prov
    report["warnings"] += prov_warnings
    impact = error_impact(report, (sum(1 for o in outcomes.values() if o.error is not None), len(outcomes)))
    if impact:
        report["warnings"].append(impact)
    report["run"]["elapsed_s"] = round(time.perf_counter() - t0, 3)
    return report


def _endpoint_block(ep: Any, transport: str) -> dict[str, Any]:
    """Where an arm's requests went, without keys or URL credentials."""
    out: dict[str, Any] = {"model": ep.model, "api_base": clean_api_base(ep.api_base),
                           "via": "router" if ep.router else ("direct" if direct.is_direct(ep, transport) else "litellm")}
    if ep.api_key_env:
        out["api_key_env"] = ep.api_key_env
    if ep.revision:
        out["revision"] = ep.revision
    if ep.params:
        out["params"] = sorted(ep.params)
    if ep.router:
        out["deployments"] = [{"model": d.get("model"), "api_base": clean_api_base(d.get("api_base"))}
                              for d in ep.deployments]
    return out


def _arm_outcomes(cases: list[Case], idx: list[int], arm: str, outcomes: dict) -> list[Outcome]:
    return [outcomes[(i, arm)] for i in idx]


def _report(cfg: ProbeConfig, suites: list[str], cases: list[Case], outcomes: dict, runner: Runner,
            warnings: list[str]) -> dict[str, Any]:
    st = cfg.stats
    kw = {"resamples": st.resamples, "seed": st.seed}
    by_suite: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        by_suite.setdefault(c.suite, []).append(i)
    blocks: list[dict[str, Any]] = []
    task_means: dict[str, Optional[float]] = {}

    for sid in ("task", "shift", "general", "knowledge", "format"):
        idx = by_suite.get(sid)
        if not idx:
            continue
        ids = [cases[i].id for i in idx]
        kinds = {cases[i].scoring.kind for i in idx}
        kind = kinds.pop() if len(kinds) == 1 else "mixed"  # the general set mixes scorers per item
        scored_by = "judge" if kind == "judge" else "deterministic"
        arms = {a: _arm_outcomes(cases, idx, a, outcomes) for a in ("base", "candidate")}
        # Shift: five or more perturbed copies per input are one input's worth of evidence.
        groups = [str(cases[i].meta.get("of")) for i in idx] if sid == "shift" else None
        block = suite_block(sid, ids, arms, min_n=st.min_n, scored_by=scored_by, scorer=kind, groups=groups, **kw)
        if sid == "task":
            task_means = {"base": block["base"]["mean"], "candidate": block["candidate"]["mean"]}
            if "prompted" in cases[idx[0]].arms:
                prompted = _arm_outcomes(cases, idx, "prompted", outcomes)
                block["prompted"] = arm_block(prompted)
                block["vs_prompted"] = compare(prompted, arms["candidate"], **kw)
            if cases[idx[0]].meta.get("hidden"):
                continue  # built only as the shift suite's reference
        if sid == "shift":
            drop = {}
            for arm in ("base", "candidate"):
                tm, sm = task_means.get(arm), block[arm]["mean"]
                drop[arm] = None if tm is None or sm is None else round(tm - sm, 4)
            block["drop"] = drop
            per: dict[str, dict[str, Any]] = {}
            for name in dict.fromkeys(cases[i].meta.get("perturbation") for i in idx):
                sub = [i for i in idx if cases[i].meta.get("perturbation") == name]
                per[str(name)] = {a: arm_block(_arm_outcomes(cases, sub, a, outcomes))["mean"]
                                  for a in ("base", "candidate")}
            block["by_perturbation"] = per
        if sid == "general":
            cats: dict[str, dict[str, Any]] = {}
            for cat in dict.fromkeys(cases[i].category for i in idx):
                sub = [i for i in idx if cases[i].category == cat]
                cats[str(cat)] = {"n": len(sub), **{a: arm_block(_arm_outcomes(cases, sub, a, outcomes))["mean"]
                                                   for a in ("base", "candidate")}}
            block["by_category"] = cats
        if sid == "knowledge":
            ctx = {a: _arm_outcomes(cases, idx, f"{a}_ctx", outcomes) for a in ("base", "candidate")}
            block["closed_book"] = {"base": block["base"], "candidate": block["candidate"]}
            block["with_context"] = {a: arm_block(ctx[a]) for a in ("base", "candidate")}
            block["with_context"]["delta"] = compare(ctx["base"], ctx["candidate"], **kw)
            block["context_gain"] = {a: compare(arms[a], ctx[a], **kw) for a in ("base", "candidate")}
        blocks.append(block)

    t = runner.totals
    unknown = sorted(t.cost_unknown_models)
    cost_note = None
    if unknown:
        cost_note = ("litellm has no price for " + ", ".join(unknown) + "; their calls count as 0 USD")
    if t.budget_reached:
        warnings.append(f"budget of {runner.budget_usd} USD reached: later requests were not sent "
                        "and are counted as errors; raise --budget-usd and re-run to finish (cached calls are kept)")
    settings: dict[str, Any] = {**cfg.settings(), "system_prompt_sha256": sha256_text(cfg.system_prompt)}
    if cfg.prompted_baseline is not None:
        pb = cfg.prompted_baseline
        settings["prompted_system_prompt_sha256"] = sha256_text(pb.system_prompt or cfg.system_prompt)
        settings["prompted_few_shot"] = len(pb.few_shot)
    if "format" in suites:
        settings["format_instruction_sha256"] = sha256_text(cfg.format.instruction)
    if "shift" in suites:
        settings["shift_perturbations"] = list(cfg.shift.perturbations)
        settings["shift_seed"] = cfg.shift.seed
    settings["bootstrap"] = {"resamples": cfg.stats.resamples, "seed": cfg.stats.seed}
    models: dict[str, Any] = {"base": str(cfg.models.base), "candidate": str(cfg.models.candidate)}
    spec = cfg.scorer_spec
    if spec.type == "judge":
        models["judge"] = spec.model
        settings["judge"] = dict(JUDGE_SETTINGS)
    if cfg.shift.paraphrase_model and "shift" in suites:
        models["paraphrase"] = cfg.shift.paraphrase_model
    return {
        "models": models,
        "settings": settings,
        "suites": blocks,
        "cost_usd": round(t.cost_usd, 6),
        "cost_note": cost_note,
        "tokens": {"prompt": t.prompt_tokens, "completion": t.completion_tokens},
        "run": {"requests_sent": t.requests_sent, "attempts": t.attempts, "retries": t.retries,
                "cache_hits": t.cache_hits, "errors": t.errors, "budget_reached": t.budget_reached,
                "not_sent": t.not_sent, "unreachable": sorted(clean_api_base(u) or u for u in t.unreachable),
                "sending_s": t.sending_s},
        "api_base": clean_api_base(cfg.api_base),
        "endpoints": {m: _endpoint_block(cfg.arm_endpoint(m), cfg.transport) for m in ("base", "candidate")},
        "warnings": warnings,
        "advisor_version": __version__,
    }
