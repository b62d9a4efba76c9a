"""The live "current leaning" panel beside the interview.

After every answer it shows the top options with their scores, how much the
last answer moved each one, the one or two rules that weigh most on it, the
first steps of the plan, and the fine-tuning blockers triggered so far. Every line is a single row
(ellipsis when too long) so the panel stays readable in an 80x24 terminal.
"""

from __future__ import annotations

from typing import Optional

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from advisor.core.decide import Assessment, Reason, verdict_short



def _line(*parts: str | tuple[str, str]) -> Text:
    """One row that is cut with an ellipsis instead of wrapping."""
    t = Text.assemble(*parts)
    t.no_wrap = True
    t.overflow = "ellipsis"
    return t


def strongest(reasons: list[Reason], n: int = 2) -> list[Reason]:
    """The ``n`` rules that moved a score most (largest absolute weight; rule order breaks ties)."""
    ranked = sorted(enumerate(reasons), key=lambda ir: (-abs(ir[1].weight), ir[0]))
    return [r for _, r in ranked[:n]]


class LeaningPanel(Static):
    """Top options, the rules behind them, and blockers; updated with :meth:`show`."""

    DEFAULT_CSS = """
    LeaningPanel { height: auto; }
    """

    TOP = 3

    def __init__(self, *, id: Optional[str] = None) -> None:
        super().__init__("", id=id)
        self.border_title = "Current leaning"
        self.assessment: Optional[Assessment] = None

    def show(self, assessment: Assessment, previous: Optional[Assessment] = None) -> None:
        """Render an assessment; ``previous`` (the one before the last answer) adds the change."""
        self.assessment = assessment
        before = {o.id: o.score for o in previous.options} if previous else {}
        parts: list[Text] = []
        fired = any(o.reasons for o in assessment.options)
        if not fired:
            parts.append(Text("No rule applies yet. Each answer moves the scores.", style="dim"))
        for rank, o in enumerate(assessment.options[: self.TOP], start=1):
            delta = o.score - before.get(o.id, o.score)
            moved: tuple[str, str] = ("", "")
            if previous is not None and abs(delta) > 1e-9:
                moved = (f" {'▲' if delta > 0 else '▼'}{abs(delta):g}", "green" if delta > 0 else "red")
            parts.append(_line((f"{o.score:+g} ", "bold"), moved, " ",
                               (o.name, "bold" if rank == 1 else "")))
            for r in strongest(o.reasons):
                parts.append(_line("   ", (f"{r.weight:+g}", "green" if r.weight > 0 else "red"), " ",
                                   (r.title, "dim")))
        steps = assessment.plan.steps
        if fired and steps:
            parts.append(Text(""))
            parts.append(_line(("Plan", "bold")))
            for s in steps[:4]:
                parts.append(_line(f" {s.order}. ", (s.name, "bold" if s.role == "primary" else ""),
                                   (f" ({s.role})", "dim")))
        parts.append(Text(""))
        parts.append(_line(("Fine-tuning: ", "bold"), verdict_short(assessment)))
        if assessment.blockers:
            parts.append(_line((f"Blockers ({len(assessment.blockers)})", "bold red")))
            for b in assessment.blockers:
                parts.append(_line(("  ✗ ", "red"), b.check))
        parts.append(_line((f"Confidence: {assessment.confidence_label} ({assessment.confidence:.2f})", "dim")))
        self.update(Group(*parts))
