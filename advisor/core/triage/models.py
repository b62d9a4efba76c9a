"""The triage report: findings, ranked causes, best checkpoint, curves.

:class:`TriageReport` is what :func:`advisor.core.triage.run_triage` returns;
:meth:`TriageReport.to_contract` turns it into the docs/formats.md section 3 object
(plus the extra keys ``curves``, ``inputs``, ``symptom`` and ``datasets``) that
``advisor triage --format json`` prints and the decision record reads back.

These are plain dataclasses, light to import (a triage of a log starts in a
fraction of a second). Reading a report back is validated by the pydantic
models of :mod:`advisor.core.triage.contract`, which describe each field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

Severity = Literal["info", "warning", "error"]
Basis = Literal["curves", "data", "probe", "rule_of_thumb"]
BASIS_WORDS = {"curves": "the training curves", "data": "the datasets", "probe": "the probe results",
               "rule_of_thumb": "a rule of thumb on the settings", "symptom": "the symptom you reported",
               "prior": "how often this cause happens (no direct evidence)"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_BASES = ("curves", "data", "probe", "rule_of_thumb")


@dataclass(kw_only=True, eq=True)
class Finding:
    """One observation from a log, a dataset, the settings or a probe result (fields: docs/formats.md section 3)."""

    id: str
    severity: Severity
    where: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    basis: Basis = "curves"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_ORDER:
            raise ValueError(f"finding {self.id}: severity {self.severity!r} is not one of info, warning, error")
        if self.basis not in _BASES:
            raise ValueError(f"finding {self.id}: basis {self.basis!r} is not one of {', '.join(_BASES)}")
        self.evidence = dict(self.evidence)


@dataclass(kw_only=True, eq=True)
class Cause:
    """One runbook cause, scored against the findings and the symptom."""

    id: str
    rank: int
    confidence: float
    title: str = ""
    evidence: list[str] = field(default_factory=list)
    evidence_against: list[str] = field(default_factory=list)
    first_checks: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    not_the_issue: list[str] = field(default_factory=list)
    source: str = ""
    rests_on: list[str] = field(default_factory=list)


@dataclass(kw_only=True, eq=True)
class BestCheckpoint:
    """The logged step with the lowest eval loss."""

    step: float
    eval_loss: float
    epoch: Optional[float] = None
    eval_set: str = "eval"
    where: str = ""


@dataclass(kw_only=True, eq=True)
class Curve:
    """A plotted series: ``points`` are ``(step, value)`` with ``None`` for NaN/Inf."""

    name: str
    kind: Literal["train", "eval", "metric"]
    points: list[tuple[float, Optional[float]]] = field(default_factory=list)


@dataclass(kw_only=True, eq=True)
class TriageReport:
    """Everything one triage run concluded."""

    causes: list[Cause] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    best_checkpoint: Optional[BestCheckpoint] = None
    curves: list[Curve] = field(default_factory=list)
    symptom: Optional[str] = None
    inputs: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, Any] = field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        """The docs/formats.md section 3 object, with extra keys; JSON-safe (no NaN)."""
        causes = []
        for c in self.causes:
            causes.append({
                "id": c.id, "rank": c.rank, "confidence": round(c.confidence, 3),
                "evidence": list(c.evidence), "first_checks": list(c.first_checks), "fixes": list(c.fixes),
                "title": c.title, "evidence_against": list(c.evidence_against),
                "not_the_issue": list(c.not_the_issue), "source": c.source, "rests_on": list(c.rests_on),
            })
        findings = [
            {"id": f.id, "severity": f.severity, "where": f.where, "detail": f.detail, "evidence": _json_safe(f.evidence),
             "basis": f.basis}
            for f in self.findings
        ]
        best = None
        if self.best_checkpoint is not None:
            b = self.best_checkpoint
            best = {"step": _num(b.step), "epoch": b.epoch, "eval_loss": b.eval_loss, "eval_set": b.eval_set, "where": b.where}
        from advisor.core import SCHEMA_VERSION

        return {
            "schema_version": SCHEMA_VERSION,
            "causes": causes,
            "findings": findings,
            "best_checkpoint": best,
            "symptom": self.symptom,
            "curves": [{"name": c.name, "kind": c.kind, "points": [[_num(s), v] for s, v in c.points]} for c in self.curves],
            "inputs": _json_safe(self.inputs),
            "datasets": _json_safe(self.datasets),
        }


def _num(x: float) -> float | int:
    """Steps print as integers when they are whole (``300`` not ``300.0``)."""
    return int(x) if float(x).is_integer() else x


def _json_safe(obj: Any) -> Any:
    """Replace NaN/Inf with their names: strict JSON readers reject the bare tokens."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj
