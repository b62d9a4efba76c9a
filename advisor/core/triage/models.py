"""The triage report: findings, ranked causes, best checkpoint, curves.

:class:`TriageReport` is what :func:`advisor.core.triage.run_triage` returns;
:meth:`TriageReport.to_contract` turns it into the docs/formats.md section 3 object
(plus the extra keys ``curves``, ``inputs``, ``symptom`` and ``datasets``) that
``advisor triage --format json`` prints and the decision record reads back.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "error"]
Basis = Literal["curves", "data", "probe", "rule_of_thumb"]
BASIS_WORDS = {"curves": "the training curves", "data": "the datasets", "probe": "the probe results",
               "rule_of_thumb": "a rule of thumb on the settings", "symptom": "the symptom you reported",
               "prior": "how often this cause happens (no direct evidence)"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class Finding(BaseModel):
    """One observation from a log, a dataset, the settings or a probe result."""

    id: str = Field(description="Stable finding id (docs/formats.md section 3 lists the required ones).")
    severity: Severity = Field(description="info, warning or error.")
    where: str = Field(description="`file:line`, `file step N`, or the option it came from (`--lr`).")
    detail: str = Field(description="One or two sentences with the numbers behind the finding.")
    evidence: dict[str, Any] = Field(default_factory=dict, description="The numbers themselves, machine-readable.")
    basis: Basis = Field(default="curves", description="What the finding rests on: `curves` (the run's own log), "
                         "`data` (the datasets), `probe` (measured outputs) or `rule_of_thumb` (a setting "
                         "compared with a published range: a prior, weighed below the curves).")


class Cause(BaseModel):
    """One runbook cause, scored against the findings and the symptom."""

    id: str = Field(description="Cause id from the runbook (docs/formats.md section 3).")
    rank: int = Field(description="1 = most likely.")
    confidence: float = Field(description="0..1; how strongly the evidence points here.")
    title: str = Field(default="", description="Short human name of the cause.")
    evidence: list[str] = Field(default_factory=list, description="Observations that support this cause.")
    evidence_against: list[str] = Field(default_factory=list, description="Observations that argue against it.")
    first_checks: list[str] = Field(default_factory=list, description="Fastest checks to confirm or rule it out.")
    fixes: list[str] = Field(default_factory=list, description="Fix patterns.")
    not_the_issue: list[str] = Field(default_factory=list, description="Signs that this is not the problem.")
    source: str = Field(default="", description="Where the runbook took this cause from.")
    rests_on: list[str] = Field(default_factory=list, description="What the confidence rests on, strongest first: "
                                "`curves`, `data`, `probe`, `symptom`, `rule_of_thumb`, or `prior` alone.")


class BestCheckpoint(BaseModel):
    """The logged step with the lowest eval loss."""

    step: float = Field(description="Training step (a log-event number for raw Trainer stdout).")
    epoch: Optional[float] = Field(default=None, description="Epoch at that step, when logged.")
    eval_loss: float = Field(description="The eval loss there.")
    eval_set: str = Field(default="eval", description="Which eval set (HF `eval_<set>_loss`).")
    where: str = Field(default="", description="`file:line` of that log row.")


class Curve(BaseModel):
    """A plotted series: ``points`` are ``[step, value]`` with ``null`` for NaN/Inf."""

    name: str = Field(description="`train_loss`, `eval_loss`, `eval_<set>_loss`, ...")
    kind: Literal["train", "eval", "metric"] = Field(description="What the series measures.")
    points: list[tuple[float, Optional[float]]] = Field(default_factory=list, description="[step, value] pairs.")


class TriageReport(BaseModel):
    """Everything one triage run concluded."""

    causes: list[Cause] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    best_checkpoint: Optional[BestCheckpoint] = None
    curves: list[Curve] = Field(default_factory=list)
    symptom: Optional[str] = None
    inputs: dict[str, Any] = Field(default_factory=dict, description="What was read: files, formats, settings.")
    datasets: dict[str, Any] = Field(default_factory=dict, description="Per-dataset statistics.")

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
        from advisor.core.schemas import SCHEMA_VERSION

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
