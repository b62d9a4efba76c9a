"""Markdown from a triage JSON object (what ``advisor triage --format json`` wrote).

Works from the JSON alone, never the live report, so a saved file renders the
same as a fresh run: :func:`record_section` is the decision record's triage
section, :func:`render_markdown` the standalone ``--format md`` report. The
loss chart is a Mermaid ``xychart-beta`` block (GitHub and most markdown
viewers draw it).
"""

from __future__ import annotations

import math
from typing import Any, Optional

MAX_CHART_POINTS = 40
DETAILED_CAUSES = 3


def _esc(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _g(x: Any) -> str:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return f"{x:.4g}"
    return str(x)


def _finite(points: list) -> list[tuple[float, float]]:
    out = []
    for p in points or []:
        if isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[1], (int, float)) \
                and isinstance(p[0], (int, float)) and math.isfinite(p[1]):
            out.append((float(p[0]), float(p[1])))
    return out


def _interp(x: float, pts: list[tuple[float, float]]) -> float:
    if x <= pts[0][0]:
        return pts[0][1]
    if x >= pts[-1][0]:
        return pts[-1][1]
    lo, hi = 0, len(pts) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pts[mid][0] <= x:
            lo = mid
        else:
            hi = mid
    (x0, y0), (x1, y1) = pts[lo], pts[hi]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _thin(seq: list, n: int) -> list:
    if len(seq) <= n:
        return seq
    idx = sorted({round(i * (len(seq) - 1) / (n - 1)) for i in range(n)})
    return [seq[i] for i in idx]


def mermaid_chart(curves: list[dict], report: Optional[dict[str, Any]] = None) -> Optional[str]:
    """A Mermaid xychart of train loss and the main eval loss, or None without curves.

    xychart lines share one categorical x axis, so the train curve is
    interpolated at the eval steps (or sampled evenly when there is no eval).
    """
    train = next((_finite(c.get("points")) for c in curves if c.get("kind") == "train"), [])
    evals = [c for c in curves if c.get("kind") == "eval" and _finite(c.get("points"))]
    ev_curve = next((c for c in evals if c.get("name") == "eval_loss"), evals[0] if evals else None)
    ev = _finite(ev_curve.get("points")) if ev_curve else []
    if len(ev) >= 2:
        xs = [p[0] for p in _thin(ev, MAX_CHART_POINTS)]
    elif len(train) >= 2:
        xs = [p[0] for p in _thin(train, MAX_CHART_POINTS)]
    else:
        return None
    lines, names = [], []
    if len(train) >= 2:
        lines.append([_interp(x, train) for x in xs])
        names.append("train loss")
    if len(ev) >= 2:
        lookup = dict(ev)
        lines.append([lookup[x] for x in xs])
        names.append(ev_curve.get("name", "eval loss").replace("_", " "))
    from advisor.core.triage.chart import plan

    p = plan(report or {"curves": curves})
    lo = min(min(line) for line in lines)
    hi = max(max(line) for line in lines)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 0.1
    y_lo, y_hi = max(0.0, lo - pad), hi + pad
    notes = []
    if p is not None and p.clipped:
        y_lo, y_hi = p.y_lo, p.y_hi
        lines = [[min(v, y_hi) for v in line] for line in lines]
        notes.append(p.clipped)
    x_label = p.x_label if p is not None else "step"
    if p is not None and p.best_label:
        notes.append(p.best_label)
    # Steps as whole numbers where they are whole (a category per eval step).
    cats = ", ".join(str(int(x)) if float(x).is_integer() else f"{x:g}" for x in xs)
    legend = "; ".join(f"line {i + 1}: {n}" for i, n in enumerate(names))
    out = ["```mermaid", "xychart-beta",
           f'    title "Loss by {x_label} ({legend})"',
           f'    x-axis "{x_label}" [{cats}]',
           f'    y-axis "loss" {y_lo:.4g} --> {y_hi:.4g}']
    for line in lines:
        out.append("    line [" + ", ".join(f"{v:.4g}" for v in line) + "]")
    out.append("```")
    if notes:
        out += ["", " ".join(n[0].upper() + n[1:] + "." for n in notes)]
    return "\n".join(out)


def _body(t: dict[str, Any], h: str) -> list[str]:
    """The report body; ``h`` is the heading prefix of its subsections (``####`` in the record)."""
    out: list[str] = []
    inputs = t.get("inputs") or {}
    read = []
    for k in ("log", "train", "eval", "probe"):
        v = inputs.get(k)
        if isinstance(v, dict) and v.get("path"):
            read.append(f"{k} `{v['path']}`" + (f" ({v['format']})" if v.get("format") else ""))
    for k in ("lr", "epochs", "method"):
        if inputs.get(k) is not None:
            read.append(f"{k} {inputs[k]}")
    if t.get("symptom"):
        out.append(f"Symptom reported: `{t['symptom']}`.")
    if read:
        out.append("Read: " + "; ".join(read) + ".")
    b = t.get("best_checkpoint")
    if b:
        ep = f", epoch {_g(b['epoch'])}" if b.get("epoch") is not None else ""
        where = f", at {b['where']}" if b.get("where") else ""
        out.append(f"Best checkpoint: step {_g(b.get('step'))}{ep}, eval loss {_g(b.get('eval_loss'))}{where}.")
    else:
        why = "no eval loss was logged" if inputs.get("log") or not inputs else "no training log was given"
        out.append(f"Best checkpoint: none ({why}).")
    causes = t.get("causes") or []
    out += ["", f"{h} Likely causes", "", "| rank | cause | confidence | evidence for / against |", "|---|---|---|---|"]
    for c in causes:
        out.append(f"| {c.get('rank')} | {_esc(c.get('title') or c.get('id'))} (`{c.get('id')}`) | "
                   f"{_g(c.get('confidence'))} | {len(c.get('evidence') or [])} / {len(c.get('evidence_against') or [])} |")
    for c in causes[:DETAILED_CAUSES]:
        out += ["", f"**{c.get('rank')}. {c.get('title') or c.get('id')}** (`{c.get('id')}`, confidence {_g(c.get('confidence'))})", ""]
        ev = c.get("evidence") or []
        out += [f"- for: {e}" for e in ev] or ["- no direct evidence in the files given; ranked by how often this cause occurs"]
        out += [f"- against: {e}" for e in c.get("evidence_against") or []]
        if c.get("first_checks"):
            out += ["", "First checks:", ""] + [f"{i}. {x}" for i, x in enumerate(c["first_checks"], 1)]
        if c.get("fixes"):
            out += ["", "Fixes:", ""] + [f"- {x}" for x in c["fixes"]]
        if c.get("source"):
            out += ["", f"Source: {c['source']}."]
    findings = t.get("findings") or []
    out += ["", f"{h} Findings", ""]
    if findings:
        out += ["| severity | finding | where | detail |", "|---|---|---|---|"]
        out += [f"| {f.get('severity')} | `{f.get('id')}` | {_esc(f.get('where'))} | {_esc(f.get('detail'))} |" for f in findings]
    else:
        out.append("No findings.")
    chart = mermaid_chart(t.get("curves") or [], t)
    if chart:
        out += ["", f"{h} Loss curve", "", chart]
    return out


def record_section(triage_json: dict[str, Any]) -> str:
    """The decision record's triage section, from the JSON alone.

    Args:
        triage_json: what ``advisor triage --format json`` wrote (docs/formats.md section 3).

    Returns:
        Markdown: ranked causes with confidence, evidence, first checks and
        fixes; the findings table; the best checkpoint; a Mermaid loss chart
        when curves are present.
    """
    return "\n".join(["### Triage of the fine-tuned model", ""] + _body(triage_json, "####")) + "\n"


def render_markdown(triage_json: dict[str, Any]) -> str:
    """The standalone markdown report (``advisor triage --format md``)."""
    return "\n".join(["# Triage: fine-tuned model worse than its base", ""] + _body(triage_json, "##")) + "\n"


def short_where(where: str, report: dict[str, Any]) -> str:
    """``where`` with the input files' folders left out (tables list the full paths above them).

    Args:
        where: a finding's ``where`` (``path:line (step N)``).
        report: the contract object, whose ``inputs`` name the files read.
    """
    for v in (report.get("inputs") or {}).values():
        if isinstance(v, dict) and v.get("path"):
            path = str(v["path"])
            where = where.replace(path, path.replace("\\", "/").rsplit("/", 1)[-1])
    return where
