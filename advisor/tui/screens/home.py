"""The home screen: the four things advisor does, one keypress each."""

from __future__ import annotations

import importlib.util

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

PATHS = (
    ("decide", "Decide whether to fine-tune", "A ten-minute interview; leaves you with a decision record.", None),
    ("triage", "Triage a fine-tuned model that got worse", "Training log, datasets and settings -> ranked causes.",
     "advisor.tui.screens.triage"),
    ("probe", "Run probe evals", "Base vs candidate on your own cases, shift tests, general capability.",
     "advisor.tui.screens.probe"),
    ("open", "Open a saved session", "Every answer is saved as you go; pick up where you left off.", None),
)


def available(module: str | None) -> bool:
    """Whether a screen module is installed, without importing it (start-up stays fast)."""
    if module is None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class HomeScreen(Screen[None]):
    """Pick a path. Enter or the number key starts it."""

    HELP_TITLE = "Home"
    HELP = """
The four things advisor does. Pick one with the arrows and **Enter**, or its number.

1. **Decide whether to fine-tune**: about thirty plain questions on the job, what goes wrong
   today, your data and your team. The leaning beside them moves with every answer; the
   result explains each lever's score and exports a decision record.
2. **Triage**: point it at a training log (and the train/eval sets) of a fine-tune that
   got worse; it ranks the likely causes with the evidence from your files.
3. **Probe evals**: run base and candidate models on your own cases and built-in sets.
4. **Open a saved session**: every answer is saved as you go.
"""

    BINDINGS = [
        Binding("1", "app.start_interview", "Decide", show=False),
        Binding("2", "app.open_triage", "Triage", show=False),
        Binding("3", "app.open_probe", "Probe", show=False),
        Binding("4", "app.open_sessions", "Open session", show=False),
        Binding("n", "app.start_interview", "New interview"),
        Binding("o", "app.open_sessions", "Open session"),
        Binding("t", "app.change_theme", "Theme"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        # No Header here: the title line below says the same, and the first screen
        # should cost little more than a bare Textual app's (bench/startup.py).
        with Vertical(id="home"):
            yield Static(
                Text.assemble(("advisor", "bold"), "  fine-tune, or fix retrieval, tools, validators or the prompt?"),
                id="home-title",
            )
            options = []
            for n, (pid, title, blurb, module) in enumerate(PATHS, start=1):
                label = Text.assemble((f"{n}. ", "bold"), (title, "bold"))
                if not available(module):
                    label.append("  (not available in this version yet)", style="italic")
                label.append(f"\n   {blurb}", style="dim")
                options.append(Option(label, id=pid))
            yield OptionList(*options, id="home-menu")
            yield Static("Enter or 1-4 to choose; F1 or ? for help; ctrl+p for every command; t picks a theme.",
                         id="home-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#home-menu").focus()

    @on(OptionList.OptionSelected, "#home-menu")
    async def _chosen(self, event: OptionList.OptionSelected) -> None:
        action = {
            "decide": "start_interview",
            "triage": "open_triage",
            "probe": "open_probe",
            "open": "open_sessions",
        }[event.option.id or ""]
        await self.run_action(f"app.{action}")
