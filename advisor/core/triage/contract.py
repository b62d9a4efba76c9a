"""The pydantic models a triage report read back from JSON is validated with (``advisor record --triage``).

The same fields as the dataclasses of :mod:`advisor.core.triage.models`, with
what each one means; ``tests/triage/test_contract.py`` checks the two agree.
Imported only where a report is read back, so a triage run never builds them.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "error"]
Basis = Literal["curves", "data", "probe", "rule_of_thumb"]


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
