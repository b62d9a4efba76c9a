"""The confirmation plan a decision record pre-registers, and how a probe run is judged against it.

Headless (no I/O, no UI). The decide engine calls :func:`build_confirmation`
for the lever its plan puts first and stores the result as
``plan.confirmation``; the record renders it with :func:`render_confirmation`;
``advisor probe --plan RECORD`` reads it back and judges the run.

This module is the interface between the decide plan and the probe gate:
keep the names of :class:`ConfirmationPlan`'s fields stable (docs/formats.md).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.answers import Answers


class SuitePlan(BaseModel):
    """One probe suite of the plan and the role it plays in the gate."""

    model_config = ConfigDict(extra="forbid")

    suite: Literal["task", "shift", "general", "knowledge", "format"] = Field(description="Built-in probe suite.")
    role: Literal["primary", "guard"] = Field(description="primary: must improve by min_delta; guard: must not drop by more than its margin.")
    metric: str = Field(description="What is compared, in words.")
    noninferiority_margin: Optional[float] = Field(None, description="Guard rails only: the largest drop accepted, as a share (0.02 = 2 points).")


class ConfirmationPlan(BaseModel):
    """The pre-registered test of a decision (``plan.confirmation`` in the decide JSON)."""

    model_config = ConfigDict(extra="forbid")

    lever: str = Field(description="The option id the test confirms.")
    suites: list[SuitePlan] = Field(default_factory=list, description="Suites to run, primary first.")
    metric: str = Field("", description="The primary metric, in words.")
    min_delta: float = Field(0.05, description="Smallest gain on the primary metric worth acting on (share, 0.05 = 5 points).")
    min_delta_source: Literal["user", "default"] = Field("default", description="Where min_delta came from.")
    noninferiority_margin: Optional[float] = Field(None, description="Margin for the guard-rail suites.")
    required_cases: Optional[int] = Field(None, description="Eval cases needed to detect min_delta at 80% power, alpha 0.05 (paired).")
    eval_cases: Optional[int] = Field(None, description="Eval cases the user has (answers data.eval_cases).")
    cases_to_add: Optional[int] = Field(None, description="required_cases - eval_cases when positive.")
    assumed_discordance: Optional[float] = Field(None, description="Share of discordant pairs assumed for the power calculation.")


def build_confirmation(
    lever: str,
    answers: Answers,
    *,
    evidence: Optional[dict[str, Any]] = None,
    min_delta: Optional[float] = None,
) -> ConfirmationPlan:
    """The test that would confirm ``lever`` for these answers (placeholder; see module doc)."""
    return ConfirmationPlan(lever=lever, eval_cases=answers.data.eval_cases)


def render_confirmation(plan: ConfirmationPlan) -> list[str]:
    """Markdown lines for the record's Confirmation section (placeholder)."""
    return [f"Confirm {plan.lever} with a paired probe run (min_delta {plan.min_delta:g})."]
