"""The pydantic models that validate a runbook YAML (``playbooks/triage/runbook.yaml``).

Used when a runbook is read from its YAML: a new or edited file, or the first
run after an upgrade. Each model has a light twin in
:mod:`advisor.core.triage.runbook` with the same fields, which is what the
ranking reads (and what a validated runbook is cached as);
``tests/triage/test_runbook.py`` checks the fields agree.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

# What an "absent" link may require to have been looked at.
Given = Literal["log", "eval_curve", "train", "eval", "probe_general", "probe_shift", "lr", "epochs"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Link(_Strict):
    """A finding that counts for (or against) a cause."""

    finding: str
    """Finding id (e.g. ``eval_loss_rising``)."""
    weight: float = Field(ge=0, le=1)
    """How much this finding moves the confidence (0..1, combined as a noisy-OR)."""
    match: dict[str, Any] = Field(default_factory=dict)
    """Only findings whose evidence has these values count (e.g. ``{kind: eval}``)."""
    absent: bool = False
    """Count the finding's *absence* instead, when the input that would show it was given."""
    needs: Optional[Given] = None
    """For ``absent`` links: which input must have been read for the absence to mean something."""
    text: str = ""
    """Words for an ``absent`` link, shown as evidence."""


class SymptomLink(_Strict):
    """A cause a quick-diagnosis pattern points to."""

    cause: str
    """Cause id."""
    weight: float = Field(ge=0, le=1)
    """How strongly the symptom alone suggests the cause."""


class Symptom(_Strict):
    """One quick-diagnosis pattern: what the user sees and where it usually comes from."""

    id: str
    """Symptom id (docs/formats.md section 3)."""
    title: str
    """What the user observes, in a few words."""
    points_to: list[SymptomLink]
    """Causes this pattern suggests, strongest first."""
    source: str
    """Seed file and section this comes from."""


class CauseSpec(_Strict):
    """One cause: how common it is, how to check it, how to fix it, what rules it out."""

    id: str
    """Cause id (docs/formats.md section 3)."""
    title: str
    """Short name."""
    frequency_rank: int = Field(ge=1)
    """Position in the runbook's by-frequency list (1 = most common); breaks ties."""
    prior: float = Field(ge=0, le=1)
    """Confidence before any evidence, from how common the cause is."""
    explanation: str
    """Why this cause makes a fine-tune worse than its base."""
    first_checks: list[str]
    """Fastest checks first."""
    fixes: list[str]
    """Fix patterns."""
    not_the_issue: list[str] = Field(default_factory=list)
    """Signs that point away from this cause."""
    supported_by: list[Link] = Field(default_factory=list)
    """Findings that raise the confidence."""
    contradicted_by: list[Link] = Field(default_factory=list)
    """Findings (or absences) that lower it."""
    source: str
    """Seed file and section this comes from."""


class Thresholds(_Strict):
    """Numbers the detectors compare against, each traceable to a seed or stated as our choice."""

    lora_lr_min: float = 1e-5
    """Bottom of the LoRA learning-rate range."""
    lora_lr_max: float = 1e-4
    """Top of the LoRA learning-rate range; higher is flagged."""
    full_lr_max: float = 2e-5
    """Highest learning rate accepted for full fine-tuning."""
    max_epochs: int = 3
    """More epochs than this is flagged."""
    near_zero_train_loss: float = 0.02
    """Training loss below this at the end means memorisation."""
    eval_below_train_pct: float = 10.0
    """Eval loss this many percent below train loss, persistently, is a leakage hint."""
    min_train_examples: int = 200
    """Fewer training examples than this is a warning."""
    min_train_examples_error: int = 50
    """Fewer than this is an error."""
    min_eval_examples: int = 50
    """An eval set smaller than this cannot show a regression reliably."""
    near_duplicate_jaccard: float = Field(0.8, gt=0, le=1)
    """MinHash-estimated Jaccard similarity at which two examples are near-duplicates."""
    conflict_input_jaccard: float = Field(0.9, gt=0, le=1)
    """Inputs at least this similar with different outputs are conflicting labels."""
    single_style_share: float = Field(0.5, gt=0, le=1)
    """Share of outputs opening (or closing) the same way that counts as a single style."""
    shift_drop: float = 0.05
    """Probe: a shift-suite drop at least this large (absolute) next to a task gain suggests overfitting."""
    source: str = ""
    """Where these numbers come from."""


class Runbook(_Strict):
    """The whole runbook file."""

    version: int
    """Bumped when the advice changes."""
    title: str
    """Name of the runbook."""
    source: str
    """Main source (seed file)."""
    symptoms: list[Symptom]
    """Quick-diagnosis patterns."""
    causes: list[CauseSpec]
    """Causes, any order (``frequency_rank`` orders them)."""
    general_first_checks: list[str]
    """Checks worth doing whatever the cause, fastest first."""
    when_not_the_issue: list[str]
    """When the fine-tune is fine and the problem is elsewhere."""
    thresholds: Thresholds
    """Detector thresholds."""
