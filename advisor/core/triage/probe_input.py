"""Findings from an ``advisor probe --format json`` result (docs/formats.md section 4).

Only the documented keys are read: ``suites[].id``, ``verdict``, ``delta``,
``ci95``, ``n`` and the arms' ``mean``.
"""

from __future__ import annotations

from typing import Any, Optional

from advisor.core.triage.models import Finding
from advisor.core.triage.runbook import Thresholds
from advisor.errors import UserError


def read_probe(path: str) -> dict[str, Any]:
    """Read and validate a probe result JSON (:func:`advisor.core.reports.load_report`).

    Raises:
        UserError: malformed JSON, no ``suites`` list, or a key of the wrong type.
    """
    from advisor.core.reports import load_report

    return load_report(path, "probe")


def _suite(data: dict, sid: str) -> Optional[dict]:
    return next((s for s in data["suites"] if s.get("id") == sid), None)


def _d(s: dict) -> str:
    base = (s.get("base") or {}).get("mean")
    cand = (s.get("candidate") or {}).get("mean")
    ci = s.get("ci95") or [None, None]
    return (f"base {base} vs candidate {cand}, delta {s.get('delta')} (95% CI {ci[0]}..{ci[1]}, n={s.get('n')})")


def probe_findings(data: dict, path: str, th: Thresholds) -> tuple[list[Finding], set[str]]:
    """Turn probe suites into findings.

    * ``general`` with verdict ``regression`` -> ``general_capability_regression`` (error).
    * ``task`` improving while ``shift`` drops by ``th.shift_drop`` or more (or
      regresses), or while the candidate loses ``th.shift_drop`` more of its own
      task score under shift than the base loses -> ``shift_regression``
      (warning): good on inputs like the eval set, brittle on perturbed ones.
    * ``task`` with verdict ``regression`` -> ``task_regression`` (error).

    Returns:
        The findings and which probe inputs were present (``probe_general``,
        ``probe_shift``), so absent findings can count against a cause.
    """
    out: list[Finding] = []
    given: set[str] = set()
    g, task, shift = _suite(data, "general"), _suite(data, "task"), _suite(data, "shift")
    if g is not None:
        given.add("probe_general")
        if g.get("verdict") == "regression":
            out.append(Finding(id="general_capability_regression", severity="error", where=f"{path} suite general",
                               detail=f"The general-capability suite regressed: {_d(g)}. The fine-tune lost skills "
                                      "outside its task.", evidence={k: g.get(k) for k in ("delta", "ci95", "n", "verdict")}))
    if shift is not None:
        given.add("probe_shift")
    if task is not None and task.get("verdict") == "regression":
        out.append(Finding(id="task_regression", severity="error", where=f"{path} suite task",
                           detail=f"The candidate is worse on your own eval set: {_d(task)}.",
                           evidence={k: task.get(k) for k in ("delta", "ci95", "n", "verdict")}))
    if task is not None and shift is not None and task.get("verdict") == "improvement":
        d = shift.get("delta")
        drop = shift.get("drop") or {}
        db, dc = drop.get("base"), drop.get("candidate")
        # How much more of its own task score the candidate loses under shift than the base does.
        # A candidate can still match the base on shifted inputs yet lose far more than it gained.
        excess = dc - db if all(isinstance(x, (int, float)) for x in (db, dc)) else None
        worse = shift.get("verdict") == "regression" or (isinstance(d, (int, float)) and d <= -th.shift_drop)
        brittle = excess is not None and excess >= th.shift_drop
        if worse or brittle:
            what = (f"worse on perturbed copies of it ({_d(shift)})" if worse else
                    f"it loses {dc:.3f} of its score on perturbed copies where the base loses {db:.3f}")
            out.append(Finding(id="shift_regression", severity="warning", where=f"{path} suite shift",
                               detail=f"Better on the eval set ({_d(task)}) but {what}: "
                                      "the gain does not survive rephrasing.",
                               evidence={"task_delta": task.get("delta"), "shift_delta": d,
                                         "shift_verdict": shift.get("verdict"),
                                         "drop_base": db, "drop_candidate": dc}))
    return out, given
