"""From per-case outcomes to the docs/formats.md section 4 JSON, and back out to words.

:func:`build_report` makes the JSON object ``advisor probe --format json``
prints. Everything else here reads only that JSON (never live objects), so a
saved file renders the same as a fresh run: :func:`render_markdown`,
:func:`render_text`, :func:`record_section` (the decision record's Evidence
section) and :func:`evidence_facts` (the facts the decide engine reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

from advisor.core.probe import stats

SUITE_ORDER = ("task", "shift", "general", "knowledge", "format")
SUITE_TITLES = {
    "task": "task (your eval set)",
    "shift": "shift (perturbed inputs)",
    "general": "general (built-in capability set)",
    "knowledge": "knowledge (closed-book)",
    "format": "format (JSON compliance)",
}


@dataclass
class Outcome:
    """One arm's result on one case: a score, or an error (never both, never neither)."""

    score: Optional[float] = None
    error: Optional[str] = None


def _r(x: Optional[float], nd: int = 4) -> Optional[float]:
    return None if x is None else round(float(x), nd)


def arm_block(outs: list[Outcome]) -> dict[str, Any]:
    """``{"mean", "std", "errors", "n"}`` over one arm's scored cases."""
    scores = [o.score for o in outs if o.score is not None]
    return {"mean": _r(stats.mean(scores)), "std": _r(stats.std(scores)),
            "errors": sum(1 for o in outs if o.error is not None), "n": len(scores)}


def compare(
    a: list[Outcome], b: list[Outcome], *, resamples: int, seed: int, groups: Optional[list[str]] = None
) -> dict[str, Any]:
    """Paired comparison of arm ``b`` minus arm ``a`` over cases both scored.

    With ``groups`` (one label per case), the interval comes from a cluster
    bootstrap over the groups, and no McNemar test is reported: it assumes
    independent pairs, which copies of one input are not.
    """
    keep = [i for i, (x, y) in enumerate(zip(a, b)) if x.score is not None and y.score is not None]
    pairs = [(a[i].score, b[i].score) for i in keep]
    xs = [p[0] for p in pairs]
    ys = [p[1] for p in pairs]
    kept_groups = [groups[i] for i in keep] if groups is not None else None
    ci = stats.paired_bootstrap_ci(xs, ys, resamples=resamples, seed=seed, groups=kept_groups)
    d = stats.mean([y - x for x, y in pairs])
    out: dict[str, Any] = {
        "n": len(pairs),
        "delta": _r(d),
        "ci95": [_r(ci[0]), _r(ci[1])] if ci else None,
        "verdict": stats.verdict(ci),
    }
    if kept_groups is not None:
        out["clusters"] = len(set(kept_groups))
    elif pairs and stats.is_binary(xs + ys):
        lost = sum(1 for x, y in pairs if x == 1 and y == 0)
        won = sum(1 for x, y in pairs if x == 0 and y == 1)
        # Three significant digits, not fixed decimals: a p of 5e-7 must not print as 0.
        p = stats.mcnemar_exact(lost, won)
        out["mcnemar"] = {"base_only": lost, "candidate_only": won, "p": float(f"{p:.3g}")}
    return out


def suite_block(
    suite: str,
    case_ids: list[str],
    arms: dict[str, list[Outcome]],
    *,
    resamples: int,
    seed: int,
    min_n: int,
    scored_by: str,
    scorer: str,
    groups: Optional[list[str]] = None,
) -> dict[str, Any]:
    """One suite's entry in ``suites`` (contract keys first, then extras).

    ``groups`` labels cases that are copies of one input (the shift suite):
    the interval then resamples inputs, not copies.
    """
    base, cand = arms["base"], arms["candidate"]
    cmp = compare(base, cand, resamples=resamples, seed=seed, groups=groups)
    per_case = []
    wins = losses = ties = 0
    for cid, b, c in zip(case_ids, base, cand):
        row: dict[str, Any] = {"id": cid, "base": b.score, "candidate": c.score}
        if b.score is None or c.score is None:
            row["outcome"] = "error"
            row["errors"] = {k: v.error for k, v in (("base", b), ("candidate", c)) if v.error}
        elif c.score > b.score:
            row["outcome"], wins = "win", wins + 1
        elif c.score < b.score:
            row["outcome"], losses = "loss", losses + 1
        else:
            row["outcome"], ties = "tie", ties + 1
        per_case.append(row)
    warnings = []
    if "clusters" in cmp and cmp["clusters"] < min_n:
        warnings.append(
            f"only {cmp['clusters']} distinct inputs behind {cmp['n']} perturbed pairs (fewer than {min_n}): "
            "too few to conclude; use 50-100 cases or more before deciding"
        )
    elif "clusters" not in cmp and cmp["n"] < min_n:
        warnings.append(
            f"only {cmp['n']} paired cases (fewer than {min_n}): too few to conclude; "
            "use 50-100 cases or more before deciding"
        )
    errs = arm_block(base)["errors"] + arm_block(cand)["errors"]
    if errs:
        warnings.append(f"{errs} answer(s) ended in errors and are left out of the comparison, not scored as 0")
    if scored_by == "judge":
        warnings.append("judge-scored: an LLM graded these answers against the rubric")
    block: dict[str, Any] = {
        "id": suite,
        "n": cmp["n"],
        "base": arm_block(base),
        "candidate": arm_block(cand),
        "delta": cmp["delta"],
        "ci95": cmp["ci95"],
        "verdict": cmp["verdict"],
        "scored_by": scored_by,
        "scorer": scorer,
        "cases": len(case_ids),
        "wins": wins,
        "losses": losses,
        "ties": ties,
    }
    if "mcnemar" in cmp:
        block["mcnemar"] = cmp["mcnemar"]
    if "clusters" in cmp:
        block["clusters"] = cmp["clusters"]
    block["warnings"] = warnings
    block["per_case"] = per_case
    return block


def clean_api_base(url: Optional[str]) -> Optional[str]:
    """The api_base without user:password or query string (which can carry tokens)."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[unparseable]"
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# ----------------------------------------------------------------- readers of the JSON


def _suite(probe: dict[str, Any], sid: str) -> Optional[dict[str, Any]]:
    for s in probe.get("suites") or []:
        if isinstance(s, dict) and s.get("id") == sid:
            return s
    return None


def _num(x: Any) -> Optional[float]:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def evidence_facts(probe_json: dict[str, Any]) -> dict[str, Any]:
    """The ``evidence.*`` facts the decide engine reads, from a probe JSON object.

    Args:
        probe_json: what ``advisor probe --format json`` wrote.

    Returns:
        Exactly the keys ``evidence.task_delta``, ``evidence.task_verdict``,
        ``evidence.general_verdict``, ``evidence.shift_drop_base``,
        ``evidence.shift_drop_candidate``, ``evidence.shift_drop_excess`` (the
        candidate's drop minus the base's: brittleness beyond what the shifted
        inputs cost any model), ``evidence.knowledge_context_gain``,
        ``evidence.knowledge_verdict`` and ``evidence.format_verdict``; a value
        is None when its suite did not run (or had nothing to compare).
        ``knowledge_verdict`` is about the base model *with context versus
        closed-book*: ``improvement`` means context helps (a case for retrieval).
    """
    task, shift, general = _suite(probe_json, "task"), _suite(probe_json, "shift"), _suite(probe_json, "general")
    know, fmt = _suite(probe_json, "knowledge"), _suite(probe_json, "format")
    drop = (shift or {}).get("drop") or {}
    gain = ((know or {}).get("context_gain") or {}).get("base") or {}
    drop_base, drop_cand = _num(drop.get("base")), _num(drop.get("candidate"))
    return {
        "evidence.task_delta": _num((task or {}).get("delta")),
        "evidence.task_verdict": (task or {}).get("verdict") if task else None,
        "evidence.general_verdict": (general or {}).get("verdict") if general else None,
        "evidence.shift_drop_base": drop_base,
        "evidence.shift_drop_candidate": drop_cand,
        "evidence.shift_drop_excess": (None if drop_base is None or drop_cand is None
                                       else round(drop_cand - drop_base, 6)),
        "evidence.knowledge_context_gain": _num(gain.get("delta")),
        "evidence.knowledge_verdict": gain.get("verdict") if know else None,
        "evidence.format_verdict": (fmt or {}).get("verdict") if fmt else None,
    }


def _f(x: Any, pct: bool = False) -> str:
    v = _num(x)
    if v is None:
        return "-"
    return f"{v:+.3f}" if pct else f"{v:.3f}"


def _ci(ci: Any) -> str:
    if not (isinstance(ci, list) and len(ci) == 2 and all(_num(v) is not None for v in ci)):
        return "-"
    return f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _mean(block: Any) -> str:
    return _f((block or {}).get("mean")) if isinstance(block, dict) else "-"


def _errs(s: dict[str, Any]) -> str:
    """Errored answers of the base / candidate model in a suite, every arm counted.

    The knowledge suite asks each model twice (closed-book and with context):
    both arms' errors count, or failures with context would not show.
    """
    b = (s.get("base") or {}).get("errors", 0) or 0
    c = (s.get("candidate") or {}).get("errors", 0) or 0
    ctx = s.get("with_context")
    if isinstance(ctx, dict):
        b += (ctx.get("base") or {}).get("errors", 0) or 0
        c += (ctx.get("candidate") or {}).get("errors", 0) or 0
    return f"{b}/{c}"


def _ctx_row(s: dict[str, Any]) -> Optional[tuple[str, ...]]:
    """The knowledge suite's with-context comparison as a table row (None for other suites)."""
    ctx = s.get("with_context")
    if s.get("id") != "knowledge" or not isinstance(ctx, dict):
        return None
    d = ctx.get("delta") or {}
    b, c = ctx.get("base") or {}, ctx.get("candidate") or {}
    return ("knowledge (with context)", str(d.get("n", "-")), _mean(b), _mean(c), _f(d.get("delta"), True),
            _ci(d.get("ci95")), str(d.get("verdict", "-")),
            f"{(b.get('errors') or 0)}/{(c.get('errors') or 0)}")


def _label(s: dict[str, Any]) -> str:
    sid = str(s.get("id"))
    label = SUITE_TITLES.get(sid, sid)
    if s.get("scored_by") == "judge":
        label += " [judge-scored]"
    return label


def _sorted_suites(probe: dict[str, Any]) -> list[dict[str, Any]]:
    suites = [s for s in probe.get("suites") or [] if isinstance(s, dict)]
    order = {k: i for i, k in enumerate(SUITE_ORDER)}
    return sorted(suites, key=lambda s: order.get(str(s.get("id")), 99))


def _settings_line(probe: dict[str, Any]) -> str:
    st = probe.get("settings") or {}
    parts = [f"{k}={st[k]}" for k in ("temperature", "max_tokens", "top_p", "seed") if k in st and st[k] is not None]
    sha = st.get("system_prompt_sha256")
    if sha:
        parts.append(f"system prompt sha256 {str(sha)[:12]}")
    return ", ".join(parts)


def _details(probe: dict[str, Any]) -> list[str]:
    """Lines about the extra comparisons (prompted baseline, shift drop, context gain)."""
    out: list[str] = []
    task = _suite(probe, "task")
    if task and isinstance(task.get("vs_prompted"), dict):
        vp = task["vs_prompted"]
        out.append(
            f"- Candidate vs the prompted baseline (base model, engineered prompt): mean {_mean(task.get('prompted'))}, "
            f"delta {_f(vp.get('delta'), True)}, 95% CI {_ci(vp.get('ci95'))}, **{vp.get('verdict')}**."
        )
    shift = _suite(probe, "shift")
    if shift and isinstance(shift.get("drop"), dict):
        d = shift["drop"]
        out.append(
            f"- Drop from task score under shifted inputs: base {_f(d.get('base'), True)}, "
            f"candidate {_f(d.get('candidate'), True)}"
            + (" (a task gain with a large shift drop suggests overfitting)." if (_num(d.get("candidate")) or 0) >= 0.1 else ".")
        )
    know = _suite(probe, "knowledge")
    if know and isinstance(know.get("context_gain"), dict):
        g = know["context_gain"]
        gb, gc = g.get("base") or {}, g.get("candidate") or {}
        out.append(
            f"- Context gain (with context minus closed-book): base {_f(gb.get('delta'), True)} "
            f"{_ci(gb.get('ci95'))} **{gb.get('verdict')}** (n={gb.get('n', '-')}); "
            f"candidate {_f(gc.get('delta'), True)} "
            f"{_ci(gc.get('ci95'))} **{gc.get('verdict')}** (n={gc.get('n', '-')})."
        )
    return out


def record_section(probe_json: dict[str, Any]) -> str:
    """The decision record's "Evidence" section (markdown), from probe JSON alone.

    Args:
        probe_json: what ``advisor probe --format json`` wrote (docs/formats.md section 4).

    Returns:
        Markdown: models and locked settings, a per-suite table (n, means, delta,
        95% CI, verdict), the extra comparisons, and warnings (small n, errors,
        judge-scored suites, unknown cost).
    """
    models = probe_json.get("models") or {}
    lines = ["### Evidence from probe runs", ""]
    lines.append(f"Base `{models.get('base', '?')}` vs candidate `{models.get('candidate', '?')}`; "
                 f"decoding locked at {_settings_line(probe_json) or 'unrecorded settings'}.")
    lines.append("A verdict is given only when the 95% bootstrap interval of the paired difference excludes zero.")
    lines += ["", "| suite | n | base | candidate | delta | 95% CI | verdict |", "|---|---|---|---|---|---|---|"]
    for row in suite_rows(probe_json):
        lines.append("| " + " | ".join(row[:7]) + " |")
    details = _details(probe_json)
    if details:
        lines += [""] + details
    warns = _all_warnings(probe_json)
    if warns:
        lines += ["", "Warnings:", ""] + [f"- {w}" for w in warns]
    cost = _num(probe_json.get("cost_usd"))
    lines += ["", f"Cost of the run: {cost:.4f} USD" if cost is not None else "Cost of the run: unknown"]
    note = probe_json.get("cost_note")
    if note:
        lines[-1] += f" ({note})"
    return "\n".join(lines) + "\n"


def _all_warnings(probe: dict[str, Any]) -> list[str]:
    out = []
    for s in _sorted_suites(probe):
        for w in s.get("warnings") or []:
            out.append(f"{s.get('id')}: {w}")
    out += [str(w) for w in probe.get("warnings") or []]
    return out


def arm_errors(probe_json: dict[str, Any]) -> dict[str, tuple[int, int, Optional[str]]]:
    """Per arm (base, candidate, ...): cases it took part in, cases that ended in an error, the first error.

    Read from the JSON's ``per_case`` rows, so a saved report answers the same as a fresh run.
    """
    out: dict[str, list] = {}
    for suite in probe_json.get("suites") or []:
        for row in suite.get("per_case") or []:
            errors = row.get("errors") or {}
            for arm in dict.fromkeys(("base", "candidate", *errors)):
                if arm not in row and arm not in errors:
                    continue
                entry = out.setdefault(arm, [0, 0, None])
                entry[0] += 1
                if errors.get(arm):
                    entry[1] += 1
                    entry[2] = entry[2] or str(errors[arm])
    return {arm: (n, failed, first) for arm, (n, failed, first) in out.items()}


def models_that_never_answered(probe_json: dict[str, Any]) -> dict[str, str]:
    """Arms for which every case of every suite ended in an error -> their first error."""
    return {arm: first for arm, (n, failed, first) in arm_errors(probe_json).items() if n and failed == n and first}


def notes_markdown(probe_json: dict[str, Any]) -> str:
    """What a results table leaves out, as markdown: the extra comparisons, warnings and cost.

    Used by the TUI under its per-suite table; reads the JSON only.
    """
    lines = [d for d in _details(probe_json)]
    prov = provenance_lines(probe_json)
    if prov:
        lines += ["", "**Answers**", ""] + [f"- {p}" for p in prov]
    warns = _all_warnings(probe_json)
    if warns:
        lines += ["", "**Warnings**", ""] + [f"- {w}" for w in warns]
    cost = _num(probe_json.get("cost_usd"))
    cost_line = f"Cost of the run: {cost:.4f} USD" if cost is not None else "Cost of the run: unknown"
    if probe_json.get("cost_note"):
        cost_line += f" ({probe_json['cost_note']})"
    run = probe_json.get("run") or {}
    if run:
        cost_line += (f". Requests sent {run.get('requests_sent', 0)}, cache hits {run.get('cache_hits', 0)}, "
                      f"retries {run.get('retries', 0)}, errors {run.get('errors', 0)}.")
    lines += ["", cost_line]
    return "\n".join(lines).strip() + "\n"


def suite_rows(probe_json: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row of display strings per suite: suite, n, base, candidate, delta, 95% CI, verdict, errors b/c.

    The knowledge suite gets a second row, its with-context comparison (its own n and errors).
    """
    rows: list[tuple[str, ...]] = []
    for s in _sorted_suites(probe_json):
        rows.append((_label(s), str(s.get("n", "-")), _mean(s.get("base")), _mean(s.get("candidate")),
                     _f(s.get("delta"), True), _ci(s.get("ci95")), str(s.get("verdict", "-")), _errs(s)))
        ctx = _ctx_row(s)
        if ctx is not None:
            rows.append(ctx)
    return rows


def provenance_lines(probe_json: dict[str, Any]) -> list[str]:
    """Where the answers came from: sent now or cached (and when), the model each response named."""
    prov = probe_json.get("provenance")
    if not isinstance(prov, dict):
        return []
    out = []
    for m in ("base", "candidate"):
        p = prov.get(m)
        if not isinstance(p, dict) or not p.get("answers"):
            continue
        line = f"{m} {p.get('requested')}: {p.get('answers')} answers"
        cached = p.get("cached") or 0
        if cached:
            when = p.get("cached_from")
            if p.get("cached_to") and p.get("cached_to") != when:
                when = f"{when} to {p.get('cached_to')}"
            line += f", {cached} from the cache (made {when}; per_case rows mark them)"
        else:
            line += ", none from the cache"
        served = p.get("served_by") or {}
        if served:
            line += "; served by " + ", ".join(f"{k} ({v})" for k, v in served.items())
        if p.get("fallbacks"):
            line += f"; {p['fallbacks']} from a fallback"
        out.append(line)
    return out


def render_markdown(probe_json: dict[str, Any]) -> str:
    """A full markdown report: the Evidence section plus per-case win/loss tables."""
    lines = ["# Probe report", "", record_section(probe_json).rstrip()]
    run = probe_json.get("run") or {}
    tokens = probe_json.get("tokens") or {}
    if run:
        lines += ["", f"Requests sent {run.get('requests_sent', 0)}, cache hits {run.get('cache_hits', 0)}, "
                      f"retries {run.get('retries', 0)}, errors {run.get('errors', 0)}; tokens "
                      f"{tokens.get('prompt', 0)} in / {tokens.get('completion', 0)} out."]
    prov = provenance_lines(probe_json)
    if prov:
        lines += ["", "Answers:", ""] + [f"- {p}" for p in prov]
    for s in _sorted_suites(probe_json):
        rows = [r for r in s.get("per_case") or [] if r.get("outcome") != "tie"]
        lines += ["", f"## {_label(s)}: wins {s.get('wins', 0)}, losses {s.get('losses', 0)}, "
                      f"ties {s.get('ties', 0)}, errors (base/candidate) {_errs(s)}"]
        if "mcnemar" in s:
            m = s["mcnemar"]
            lines.append(f"Exact McNemar: base-only passes {m.get('base_only')}, candidate-only passes "
                         f"{m.get('candidate_only')}, p = {m.get('p')}.")
        if rows:
            lines += ["", "| case | base | candidate | outcome |", "|---|---|---|---|"]
            for r in rows:
                lines.append(f"| {r.get('id')} | {_f(r.get('base'))} | {_f(r.get('candidate'))} | {r.get('outcome')} |")
    return "\n".join(lines) + "\n"


def render_text(probe_json: dict[str, Any]) -> str:
    """A short plain-text summary for terminals and logs."""
    models = probe_json.get("models") or {}
    lines = [f"base: {models.get('base')}", f"candidate: {models.get('candidate')}",
             f"settings: {_settings_line(probe_json)}", ""]
    lines.append(f"{'suite':<10} {'n':>5} {'base':>7} {'cand':>7} {'delta':>7}  {'95% CI':<18} {'verdict':<14} err b/c")
    for s in _sorted_suites(probe_json):
        label = str(s.get("id")) + ("*" if s.get("scored_by") == "judge" else "")
        lines.append(
            f"{label:<10} {s.get('n', 0):>5} {_mean(s.get('base')):>7} {_mean(s.get('candidate')):>7} "
            f"{_f(s.get('delta'), True):>7}  {_ci(s.get('ci95')):<18} {str(s.get('verdict')):<14} {_errs(s)}"
        )
        ctx = _ctx_row(s)
        if ctx is not None:
            lines.append(f"{'  +context':<10} {ctx[1]:>5} {ctx[2]:>7} {ctx[3]:>7} {ctx[4]:>7}  {ctx[5]:<18} "
                         f"{ctx[6]:<14} {ctx[7]}")
    if any(s.get("scored_by") == "judge" for s in _sorted_suites(probe_json)):
        lines.append("* judge-scored")
    details = _details(probe_json)
    if details:
        lines += [""] + [d.replace("**", "") for d in details]
    prov = provenance_lines(probe_json)
    if prov:
        lines += ["", "answers:"] + [f"  {p}" for p in prov]
    warns = _all_warnings(probe_json)
    if warns:
        lines += ["", "warnings:"] + [f"  {w}" for w in warns]
    cost = _num(probe_json.get("cost_usd"))
    lines += ["", f"cost: {cost:.4f} USD" if cost is not None else "cost: unknown"]
    if probe_json.get("cost_note"):
        lines[-1] += f" ({probe_json['cost_note']})"
    return "\n".join(lines) + "\n"
