"""The live "current leaning" panel beside the interview.

After every answer it shows the top options with their scores, how much the
last answer moved each one, the one or two rules that weigh most on it, and
the fine-tuning blockers triggered so far.
"""

from __future__ import annotations

from typing import Optional

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from advisor.core.decide import Assessment

VERDICT_SHORT = {
    "ready": "ready",
    "not_yet": "not yet (clear the blockers)",
    "not_recommended": "not the lever for this",
}


def _weight(w: float) -> str:
    return f"{w:+g}"


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
            head = Text.assemble((f"{rank}. ", "bold"), (o.name, "bold" if rank == 1 else ""),
                                 "  ", (f"{o.score:+g}", "bold"))
            delta = o.score - before.get(o.id, o.score)
            if previous is not None and abs(delta) > 1e-9:
                head.append(f"  {'▲' if delta > 0 else '▼'}{abs(delta):g}",
                            style="green" if delta > 0 else "red")
            parts.append(head)
            for r in o.reasons[:2]:
                parts.append(Text.assemble("   ", (_weight(r.weight), "green" if r.weight > 0 else "red"),
                                           " ", (r.title, "dim")))
        verdict = Text.assemble(("Fine-tuning: ", "bold"), VERDICT_SHORT[assessment.verdict])
        parts.append(Text(""))
        parts.append(verdict)
        if assessment.blockers:
            parts.append(Text(f"Blockers ({len(assessment.blockers)})", style="bold red"))
            for b in assessment.blockers:
                parts.append(Text.assemble(("  ✗ ", "red"), b.check))
        parts.append(Text(f"Confidence: {assessment.confidence_label} ({assessment.confidence:.2f})", style="dim"))
        self.update(Group(*parts))
