"""Where a probe run's answers came from, and what its failed calls do to its verdicts.

* :func:`provenance`: per model, how many answers were sent now and how many
  came from the cache (and when those were made), which model each response
  said it came from, and whether a Router or proxy fell back; per case, which
  arms' answers were cached. A warning when another model answered for an arm.
* :func:`error_impact`: one line saying what share of the answers failed and
  whether each suite's verdict would survive those answers going either way.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any, Optional

from advisor.core.probe import stats


def iso(ts: Optional[float]) -> Optional[str]:
    """Epoch seconds as an ISO 8601 UTC time (to the second)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _arm_model(arm: str) -> str:
    return "base" if arm in ("prompted", "base_ctx", "base") else "candidate"


def provenance(cfg: Any, cases: list[Any], calls: dict[tuple[int, str], Any], results: dict[str, Any],
               suites: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The report's ``provenance`` block and its warnings; marks cached arms in ``per_case`` rows.

    Args:
        cfg: the probe config (for the requested model names).
        cases: the run's cases, in call order.
        calls: (case index, arm) -> call.
        results: call key -> result.
        suites: the report's suite blocks (their ``per_case`` rows gain ``cached``).

    Returns:
        ``{"base": {...}, "candidate": {...}}`` and the warnings to add.
    """
    out: dict[str, dict[str, Any]] = {}
    served: dict[str, Counter[str]] = {"base": Counter(), "candidate": Counter()}
    fallbacks: dict[str, Counter[str]] = {"base": Counter(), "candidate": Counter()}
    cached_at: dict[tuple[int, str], float] = {}
    for m in ("base", "candidate"):
        out[m] = {"requested": str(cfg.arm_endpoint(m).model), "answers": 0, "sent": 0, "cached": 0,
                  "cached_from": None, "cached_to": None, "served_by": {}, "fallbacks": 0}
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for (i, arm), call in calls.items():
        r = results.get(call.key)
        if r is None or r.error is not None:
            continue
        m = _arm_model(arm)
        block = out[m]
        block["answers"] += 1
        if r.cached:
            block["cached"] += 1
            if r.cached_at is not None:
                cached_at[(i, arm)] = r.cached_at
                first[m] = min(first.get(m, r.cached_at), r.cached_at)
                last[m] = max(last.get(m, r.cached_at), r.cached_at)
        else:
            block["sent"] += 1
        if r.served_model:
            served[m][r.served_model] += 1
        if r.fell_back or (r.model_group and r.model_group != block["requested"]
                           and cfg.arm_endpoint(m).router):
            fallbacks[m][r.model_group or "?"] += 1
    warnings: list[str] = []
    for m, block in out.items():
        block["cached_from"], block["cached_to"] = iso(first.get(m)), iso(last.get(m))
        block["served_by"] = dict(served[m].most_common())
        block["fallbacks"] = sum(fallbacks[m].values())
        if fallbacks[m]:
            groups = ", ".join(f"{g}: {n}" for g, n in fallbacks[m].most_common())
            warnings.append(f"{block['fallbacks']} of the {m} model's answers came from a fallback ({groups}), "
                            f"not from {block['requested']}: those cases measure another model")
        elif len(served[m]) > 1:
            names = ", ".join(f"{s}: {n}" for s, n in served[m].most_common())
            warnings.append(f"the {m} model's answers say they came from {len(served[m])} different models "
                            f"({names}): another deployment or a fallback answered some; check they serve "
                            "the same weights before trusting the comparison")

    index = {(c.suite, c.id): i for i, c in enumerate(cases)}
    for s in suites:
        for row in s.get("per_case") or []:
            i = index.get((s.get("id"), row.get("id")))
            if i is None:
                continue
            marks = {arm: iso(cached_at[(i, arm)]) for arm in cases[i].arms if (i, arm) in cached_at}
            if marks:
                row["cached"] = marks
    return out, warnings


def _impute(rows: list[dict[str, Any]], favour: str) -> tuple[list[float], list[float], list[str]]:
    """Base and candidate scores with every missing answer at the extreme that favours ``favour``."""
    xs, ys, ids = [], [], []
    for r in rows:
        b, c = r.get("base"), r.get("candidate")
        if b is None:
            b = 0.0 if favour == "candidate" else 1.0
        if c is None:
            c = 1.0 if favour == "candidate" else 0.0
        xs.append(float(b))
        ys.append(float(c))
        ids.append(str(r.get("id")))
    return xs, ys, ids


def error_impact(report: dict[str, Any], answers: Optional[tuple[int, int]] = None) -> Optional[str]:
    """One line on the failed answers: their share, and whether every suite's verdict survives them.

    A verdict "stands" when recomputing it with every missing answer at the
    worst value for the candidate, and again at the best, gives the same
    verdict both times (scores are between 0 and 1).

    Args:
        report: the probe JSON (suites with ``per_case`` rows).
        answers: (failed, total) answers across every arm; default: counted from the rows.

    Returns:
        The line, or None when no answer failed.
    """
    suites = [s for s in report.get("suites") or [] if isinstance(s, dict)]
    if answers is None:
        total = failed = 0
        for s in suites:
            for r in s.get("per_case") or []:
                for arm in ("base", "candidate"):
                    total += 1
                    failed += r.get(arm) is None
        answers = (failed, total)
    failed, total = answers
    if not failed or not total:
        return None
    boot = (report.get("settings") or {}).get("bootstrap") or {}
    resamples, seed = int(boot.get("resamples", 2000)), int(boot.get("seed", 0))
    could_change: list[str] = []
    for s in suites:
        rows = s.get("per_case") or []
        if not any(r.get("base") is None or r.get("candidate") is None for r in rows):
            continue
        verdicts = set()
        for favour in ("base", "candidate"):
            xs, ys, ids = _impute(rows, favour)
            groups = [i.split("~", 1)[0] for i in ids] if s.get("id") == "shift" else None
            ci = stats.paired_bootstrap_ci(xs, ys, resamples=resamples, seed=seed, groups=groups)
            verdicts.add(stats.verdict(ci))
        if verdicts != {s.get("verdict")}:
            could_change.append(f"{s.get('id')} ({s.get('verdict')})")
    share = f"{failed} of {total} answers ({100 * failed / total:.0f}%) failed and are left out"
    unreachable = (report.get("run") or {}).get("unreachable") or []
    if unreachable:
        share += f" ({', '.join(unreachable)} refused connections)"
    if not could_change:
        return share + "; every verdict stands whichever way the missing answers would have gone"
    return (share + f"; the verdict of {', '.join(could_change)} could change had they arrived: fix the cause "
            "and run again (the answers that arrived are cached)")
