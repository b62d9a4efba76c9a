"""The confirmation gate: a probe report judged against a record's pre-registered plan.

Reads only the report JSON (so a saved report gives the same gate) and the
:class:`~advisor.core.confirm.ConfirmationPlan`. Semantics (docs/probe.md,
"The confirmation gate"):

* ``confirmed``: the primary comparison is a significant improvement
  (Holm-adjusted exact test) of at least ``min_delta``, and every guard rail
  is non-inferior: its one-sided 95% lower bound is above ``-margin``.
* ``refuted``: a significant regression on the primary comparison; or a
  guard rail whose significant drop is beyond its margin (the whole 95%
  interval below ``-margin``); or a run powered for ``min_delta`` (achieved
  MDE at most ``min_delta``) whose interval lies below ``min_delta``.
* ``inconclusive``: anything else, with the reasons, and how many cases to
  add when the run was too small.

Answer checks (the candidate serves the base; a chat-template mismatch) come
first among the reasons: when they fire, the numbers are not about the model
the team meant to test.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from typing import Any, Optional

from advisor.core.confirm import ConfirmationPlan, SuitePlan
from advisor.core.probe import stats

VERDICTS = ("confirmed", "refuted", "inconclusive")


def find_comparison(report: dict[str, Any], sp: SuitePlan) -> Optional[dict[str, Any]]:
    """The comparison block a suite plan is judged on, or None when the report lacks it."""
    block = next((s for s in report.get("suites") or [] if isinstance(s, dict) and s.get("id") == sp.suite), None)
    if block is None:
        return None
    if sp.comparison == "candidate_vs_base":
        return block
    if sp.comparison == "context_gain":
        node = (block.get("context_gain") or {}).get("base")
        return node if isinstance(node, dict) else None
    if sp.comparison == "prompted_vs_base":
        node = block.get("prompted_vs_base")
        return node if isinstance(node, dict) else None
    node = block.get("vs_prompted")
    return node if isinstance(node, dict) else None


def _num(x: Any) -> Optional[float]:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _pts(x: Optional[float]) -> str:
    return "-" if x is None else f"{x * 100:+.1f} points"


_WHAT = {
    "candidate_vs_base": "candidate vs base",
    "context_gain": "with context vs closed-book (base)",
    "prompted_vs_base": "engineered prompt vs current prompt",
    "candidate_vs_prompted": "candidate vs prompted baseline",
}


def evaluate(plan: ConfirmationPlan, report: dict[str, Any]) -> dict[str, Any]:
    """The ``gate`` object of ``advisor probe --plan ... --format json``.

    Returns:
        ``verdict``, ``lever``, ``min_delta``, ``required_cases`` (at the
        observed discordance), ``achieved_mde``, ``reasons`` (checks first),
        ``cases_to_add``, ``family`` (the comparisons Holm adjusted over) and
        ``suites`` (one row per planned suite with its numbers and status).
    """
    checks = _check_msgs(report)
    if plan.primary is not None and plan.primary.comparison in ("context_gain", "prompted_vs_base"):
        checks = []  # both arms of the primary comparison run on the base model: checks on the candidate do not bear on it
    reasons: list[str] = []
    refuted: list[str] = []
    rows: list[dict[str, Any]] = []
    primary_ok = False
    achieved: Optional[float] = None
    required: Optional[int] = plan.required_cases
    to_add: Optional[int] = None
    guards_ok = True
    sp_primary = plan.primary
    if sp_primary is None:
        reasons.append("the plan names no primary suite")
    for sp in plan.suites:
        cmp = find_comparison(report, sp)
        if cmp is None and sp.comparison == "candidate_vs_prompted":
            sp = sp.model_copy(update={"comparison": "candidate_vs_base"})
            cmp = find_comparison(report, sp)
            if cmp is not None:
                reasons.append(f"{sp.suite}: the config has no prompted_baseline, so the candidate was judged "
                               "against the bare base (compare with a well-prompted base, not a bare one)")
        row: dict[str, Any] = {"suite": sp.suite, "role": sp.role, "comparison": sp.comparison,
                               "margin": sp.noninferiority_margin}
        label = f"{sp.suite} ({_WHAT.get(sp.comparison, sp.comparison)})"
        if cmp is None:
            row["status"] = "missing"
            extra = (" (the config needs a prompted_baseline)" if sp.comparison in ("prompted_vs_base", "candidate_vs_prompted")
                     else " (the eval set needs cases with a context)" if sp.comparison == "context_gain" else "")
            reasons.append(f"{label}: not in the run{extra}")
            if sp.role == "guard":
                guards_ok = False
            rows.append(row)
            continue
        n = int(cmp.get("n") or 0)
        delta, ci = _num(cmp.get("delta")), cmp.get("ci95")
        mde, lower = _num(cmp.get("mde")), _num(cmp.get("lower_one_sided"))
        padj = _num(cmp.get("p_adjusted", cmp.get("p")))
        row.update({"n": n, "delta": delta, "ci95": ci, "p_adjusted": padj, "verdict": cmp.get("verdict"),
                    "mde": mde, "lower_one_sided": lower, "fixed": cmp.get("fixed"), "broken": cmp.get("broken")})
        if cmp.get("error") or n == 0:
            row["status"] = "error"
            reasons.append(f"{label}: {cmp.get('error') or 'no paired cases'}")
            if sp.role == "guard":
                guards_ok = False
            rows.append(row)
            continue
        hi = _num(ci[1]) if isinstance(ci, list) and len(ci) == 2 else None
        if sp.role == "primary":
            achieved = mde
            disc = _num(cmp.get("discordance"))
            required = stats.required_cases(plan.min_delta, disc if disc is not None else plan.assumed_discordance or 0.0)
            to_add = max(0, required - n)
            verdict = cmp.get("verdict")
            if verdict == "improvement" and delta is not None and delta >= plan.min_delta:
                row["status"] = "passes"
                primary_ok = True
                reasons.append(f"{label}: {_pts(delta)} (95% CI {_ci(ci)}, adjusted p {padj:.3g}), at least "
                               f"the {_pts(plan.min_delta)} that matters")
            elif verdict == "regression":
                row["status"] = "fails"
                refuted.append(f"{label}: a significant regression of {_pts(delta)} (95% CI {_ci(ci)}, adjusted p {padj:.3g})")
            elif mde is not None and mde <= plan.min_delta and hi is not None and hi < plan.min_delta:
                row["status"] = "fails"
                refuted.append(f"{label}: {_pts(delta)} with a 95% CI {_ci(ci)} below the {_pts(plan.min_delta)} "
                               f"that matters, on a run powered for it (achieved MDE {_pts(mde)})")
            else:
                row["status"] = "undecided"
                if verdict == "improvement":
                    reasons.append(f"{label}: a significant gain of {_pts(delta)}, but smaller than the "
                                   f"{_pts(plan.min_delta)} that matters")
                else:
                    reasons.append(f"{label}: {_pts(delta)} (95% CI {_ci(ci)}, adjusted p {padj:.3g}) is not significant")
                if mde is None or mde > plan.min_delta:
                    reasons.append(
                        f"{label}: {n} paired cases can only detect {_pts(mde)} (achieved MDE), not "
                        f"{_pts(plan.min_delta)}; {required} are needed at the observed discordance: "
                        f"add {to_add} cases")
        else:
            margin = sp.noninferiority_margin if sp.noninferiority_margin is not None else plan.noninferiority_margin or 0.0
            if cmp.get("verdict") == "regression" and hi is not None and hi < -margin:
                row["status"] = "fails"
                guards_ok = False
                refuted.append(f"{label}: a significant drop of {_pts(delta)} (95% CI {_ci(ci)}), beyond the "
                               f"{margin * 100:g}-point margin")
            elif lower is not None and lower > -margin:
                row["status"] = "passes"
                reasons.append(f"{label}: non-inferior ({_pts(delta)}, one-sided 95% lower bound "
                               f"{_pts(lower)} above -{margin * 100:g} points)")
            else:
                row["status"] = "undecided"
                guards_ok = False
                reasons.append(f"{label}: {_pts(delta)}, lower bound {_pts(lower)}: not shown to stay within "
                               f"the {margin * 100:g}-point margin on {n} cases")
        rows.append(row)
    if refuted:
        verdict = "refuted"
    elif primary_ok and guards_ok and not checks:
        verdict = "confirmed"
    else:
        verdict = "inconclusive"
    reasons = checks + refuted + reasons
    return {
        "verdict": verdict,
        "lever": plan.lever,
        "min_delta": plan.min_delta,
        "required_cases": required,
        "achieved_mde": achieved,
        "cases_to_add": to_add,
        "reasons": reasons,
        "family": (report.get("multiple_comparisons") or {}).get("family"),
        "suites": rows,
    }


def _check_msgs(report: dict[str, Any]) -> list[str]:
    return [str(c["message"]) for c in report.get("checks") or [] if isinstance(c, dict) and c.get("message")]


def _ci(ci: Any) -> str:
    if isinstance(ci, list) and len(ci) == 2 and all(_num(v) is not None for v in ci):
        return f"[{ci[0] * 100:+.1f}, {ci[1] * 100:+.1f}]"
    return "-"


# ----------------------------------------------------------------- the record's write-back

STATUS = {"confirmed": "accepted", "refuted": "rejected", "inconclusive": "proposed"}
RESULT_HEADING = "## Confirmation result"


def result_section(gate: dict[str, Any], report: dict[str, Any], *, date: _dt.date,
                   eval_sha256: Optional[str] = None) -> str:
    """The record's ``## Confirmation result`` section (markdown)."""
    models = report.get("models") or {}
    lines = [RESULT_HEADING, "",
             f"**{gate['verdict']}** on {date.isoformat()}: base `{models.get('base', '?')}` vs candidate "
             f"`{models.get('candidate', '?')}`"
             + (f", eval set sha256 `{eval_sha256[:16]}`" if eval_sha256 else "") + ".", ""]
    lines += ["| suite | role | n | delta | 95% CI | adjusted p | MDE | status |", "|---|---|---|---|---|---|---|---|"]
    for r in gate.get("suites") or []:
        p = r.get("p_adjusted")
        lines.append(f"| {r['suite']} | {r['role']} | {r.get('n', '-')} | {_pts(r.get('delta'))} | {_ci(r.get('ci95'))} "
                     f"| {'-' if p is None else f'{p:.3g}'} | {_pts(r.get('mde'))} | {r.get('status', '-')} |")
    lines += ["", "Reasons:", ""] + [f"- {x}" for x in gate.get("reasons") or []]
    fam = gate.get("family")
    if fam:
        lines += ["", f"Holm-Bonferroni family ({len(fam)} comparisons): {', '.join(f'`{f}`' for f in fam)}."]
    return "\n".join(lines) + "\n"


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def write_back(text: str, gate: dict[str, Any], section: str) -> str:
    """The record with its front-matter status set from the gate and the result section replaced or added."""
    status = STATUS[gate["verdict"]]
    m = _FRONT.match(text)
    if m:
        fm = m.group(1)
        if re.search(r"^status:.*$", fm, re.M):
            fm = re.sub(r"^status:.*$", f"status: {status}", fm, count=1, flags=re.M)
        else:
            fm = f"status: {status}\n{fm}"
        text = f"---\n{fm}\n---\n" + text[m.end():]
    else:
        text = f"---\nstatus: {status}\n---\n\n" + text
    start = text.find("\n" + RESULT_HEADING + "\n")
    if start >= 0:
        nxt = text.find("\n## ", start + 1)
        end = nxt + 1 if nxt >= 0 else len(text)
        return text[: start + 1] + section + ("\n" if nxt >= 0 else "") + text[end:]
    anchor = text.find("\n## Pros and Cons of the Options")
    if anchor >= 0:
        return text[: anchor + 1] + section + "\n" + text[anchor + 1:]
    return text.rstrip("\n") + "\n\n" + section


def file_sha256(data: bytes) -> str:
    """sha256 of the eval set's bytes (the result names the exact set it was measured on)."""
    return hashlib.sha256(data).hexdigest()


def aa_summary(report: dict[str, Any]) -> dict[str, Any]:
    """What an A/A run (the base against itself) says about noise: per comparison and the largest.

    Returns:
        ``{"comparisons": {name: {"n", "delta", "ci95", "discordance"}}, "noise_floor", "discordance", "message"}``:
        ``noise_floor`` is the largest absolute difference noise alone made,
        ``discordance`` the largest share of cases whose outcome flipped.
    """
    from advisor.core.probe.report import comparisons

    rows: dict[str, Any] = {}
    for name, c in comparisons([s for s in report.get("suites") or [] if isinstance(s, dict)]).items():
        if "." in name or not c.get("n"):
            continue  # candidate-vs-base comparisons only: the others do not involve the second draw
        rows[name] = {k: c.get(k) for k in ("n", "delta", "ci95", "discordance", "verdict")}
    deltas = [abs(_num(r["delta"]) or 0.0) for r in rows.values()]
    discs = [_num(r["discordance"]) or 0.0 for r in rows.values()]
    floor = max(deltas, default=0.0)
    disc = max(discs, default=0.0)
    msg = (f"A/A: the base against itself differs by up to {floor * 100:.1f} points, with up to {disc * 100:.1f}% "
           "of cases changing outcome between two draws at the configured temperature")
    if any(r.get("verdict") in ("improvement", "regression") for r in rows.values()):
        msg += "; a significant A/A difference means the endpoint is not deterministic enough to trust small gains"
    return {"comparisons": rows, "noise_floor": round(floor, 4), "discordance": round(disc, 4), "message": msg}
