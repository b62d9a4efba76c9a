"""The triage screen: choose the run's files, see the curves, findings and causes.

Pushed from the home screen (``app.push_screen(TriageScreen())``), or with
files preset (``TriageScreen(paths={"log": ..., "train": ..., "eval": ...})``).
Triage runs in a thread worker (the core is synchronous and file-bound); the
worker posts :class:`TriageFinished` or :class:`TriageFailed`, and only the
message handlers touch widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (Button, DataTable, DirectoryTree, Footer, Input, Label, Markdown, Select, Static,
                             TabbedContent, TabPane)
from textual.worker import Worker, get_current_worker
from textual_plotext import PlotextPlot

from advisor.core.triage.chart import draw_plotext

SYMPTOMS = [
    ("better on target, worse on general tasks", "worse_general_better_target"),
    ("worse on everything", "worse_everything"),
    ("better offline, worse in production", "better_offline_worse_prod"),
    ("random or incoherent outputs", "incoherent_outputs"),
    ("good early, worse later", "good_early_worse_later"),
]
FILE_FIELDS = ("log", "train", "eval")


class TriageFinished(Message):
    """A triage run finished; ``report`` is the contract JSON object."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report


class TriageProgressed(Message):
    """A triage run read further into a dataset: ``done`` is 0..1 of the phase ``description``."""

    def __init__(self, description: str, done: float) -> None:
        super().__init__()
        self.description = description
        self.done = done


class _ScreenProgress:
    """The core's Progress protocol, posted to the screen as messages (thread-safe, never blocks the worker)."""

    def __init__(self, screen: "TriageScreen") -> None:
        self.screen = screen
        self.total, self.done, self.description, self.shown = 1, 0, "", -1

    def start(self, total: int, description: str = "") -> None:
        self.total, self.done, self.description, self.shown = max(total, 1), 0, description, -1
        self._post()

    def update(self, n: int = 1) -> None:
        self.done += n
        self._post()

    def complete(self) -> None:
        self.done = self.total
        self._post()

    def _post(self) -> None:
        pct = min(100, int(100 * self.done / self.total))
        if pct != self.shown:  # at most a hundred messages a phase
            self.shown = pct
            self.screen.post_message(TriageProgressed(self.description, pct / 100))


class TriageFailed(Message):
    """A triage run stopped on bad input; ``error`` is the message for the user."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


# The core speaks in command-line options; this screen has fields instead.
_FIELD_WORDS = (
    ("name the columns with --step-col/--loss-col/--eval-col",
     "this screen reads the usual column names (step, loss, eval_loss ...); for other names, rename the "
     "columns or run `advisor triage --step-col/--loss-col/--eval-col` in a terminal"),
    ("name it with --loss-col/--eval-col",
     "this screen reads the usual column names (loss, eval_loss ...); for other names, rename the column or "
     "run `advisor triage --loss-col/--eval-col` in a terminal"),
    ("--lr:", "lr:"), ("--epochs:", "epochs:"), ("--train", "train"), ("--eval", "eval"), ("--log", "log"),
    ("--symptom", "symptom"), ("--lr", "lr"),
)


def screen_words(message: str) -> str:
    """A core error message with the CLI's option names put in this screen's terms (its field names)."""
    for cli, screen in _FIELD_WORDS:
        message = message.replace(cli, screen)
    return message


def dataset_format(path: str) -> Optional[str]:
    """The dataset format of a file given as the log (chat, alpaca, ...), or ``None`` when it is not one.

    Reads the first record only; a file that cannot be read is left to the log reader to report.
    """
    from advisor.core.triage.data import _detect, iter_records  # the dataset checker's own format test
    from advisor.errors import UserError

    if not str(path).lower().endswith((".jsonl", ".json")):
        return None
    try:
        for _line, obj, error in iter_records(path):
            if error is not None or not isinstance(obj, dict):
                return None
            return _detect(obj)
    except UserError:
        return None
    return None


def causes_markdown(report: dict[str, Any], top: int = 4) -> str:
    """The ranked causes with their evidence, first checks and fixes, as markdown."""
    out = []
    best = report.get("best_checkpoint")
    if best:
        out.append(f"**Best checkpoint:** step {best['step']}, eval loss {best['eval_loss']:.4g}  \n`{best.get('where', '')}`\n")
    for c in (report.get("causes") or [])[:top]:
        out.append(f"### {c['rank']}. {c.get('title') or c['id']} — {c['confidence']:.2f}")
        out += [f"- ✔ {e}" for e in c.get("evidence") or []] or ["- no direct evidence in these files"]
        out += [f"- ✘ {e}" for e in c.get("evidence_against") or []]
        if c.get("first_checks"):
            out.append("\n**First checks:** " + " · ".join(c["first_checks"]))
        if c.get("fixes"):
            out.append("\n**Fixes:** " + " · ".join(c["fixes"]))
        out.append("")
    return "\n".join(out)


class TriageScreen(Screen[None]):
    """Choose a run's log and datasets, run triage, read the results."""

    HELP_TITLE = "Triage"
    HELP = """
Why did a fine-tune come out worse than its base? Give what you have of the run, and the
screen ranks the likely causes with the evidence for and against each, from your own files.

- **log**: the training log (`trainer_state.json`, Trainer output, an OpenAI or Lightning
  metrics CSV, CSV/JSONL rows with step and loss columns).
- **train** / **eval**: the datasets (chat, prompt/completion, alpaca or preference JSONL):
  checked for format errors, duplicates, conflicts and train/eval leakage.
- **symptom**, **lr**, **method**: optional; they sharpen the ranking.

Type a path, or focus a field and pick a file in the tree on the left (enter on a file).
**ctrl+r** runs. The results are in three tabs: **F2** causes, **F3** loss curves,
**F4** findings (move through the table to read one in full). **ctrl+s** saves the result:
`.json` for `advisor decide --triage`, `.md` for a report to share.
"""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "run", "Run"),
        Binding("ctrl+s", "save", "Save"),
        Binding("f2", "tab('tab-causes')", "Causes", key_display="F2"),
        Binding("f3", "tab('tab-curves')", "Curves", key_display="F3"),
        Binding("f4", "tab('tab-findings')", "Findings", key_display="F4"),
    ]

    def __init__(self, paths: Optional[dict[str, str]] = None, *, root: str | Path = ".",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """Args:
            paths: files to preset: keys ``log``, ``train``, ``eval`` (and ``symptom``, ``lr``, ``method``).
            root: folder the file tree starts in.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.paths = dict(paths or {})
        self.root = Path(root)
        self._target = "log"  # the file input that a click in the tree fills
        self.report: Optional[dict[str, Any]] = None
        self.saved_to: Optional[Path] = None  # where the current report was last saved
        self.worker: Optional[Worker] = None  # the last triage run, for callers (and tests) that wait on it

    def compose(self) -> ComposeResult:
        yield Static("Triage: why did a fine-tune get worse?", classes="screen-title")
        with Horizontal(id="triage-top", classes="run-top"):
            yield DirectoryTree(str(self.root), id="triage-files", classes="file-tree")
            with Vertical(id="triage-form", classes="run-form"):
                for key, hint in (("log", "trainer_state.json, metrics.csv, Trainer output..."),
                                  ("train", "train.jsonl (chat, prompt/completion, alpaca, preference)"),
                                  ("eval", "eval.jsonl (checked for leakage)")):
                    with Horizontal(classes="form-row"):
                        yield Label(key)
                        yield Input(value=self.paths.get(key, ""), placeholder=hint, id=f"triage-{key}", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("symptom")
                    yield Select(SYMPTOMS, prompt="what do you see? (optional)", id="triage-symptom",
                                 value=self.paths.get("symptom", Select.NULL), compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("lr")
                    yield Input(value=str(self.paths.get("lr", "")), placeholder="e.g. 2e-4", id="triage-lr",
                                compact=True)
                    yield Select([("LoRA", "lora"), ("full", "full")], prompt="method", id="triage-method",
                                 value=self.paths.get("method", Select.NULL), compact=True)
                    yield Button("Run triage", id="triage-run", variant="primary", compact=True)
        yield Static("Type the paths (or focus a field and pick a file in the tree) and run: ctrl+r. F1: help.",
                     id="triage-status", classes="status-line")
        # Tabs give the chart, the table and the causes the full width: side by side, none of
        # them is readable in an 80- or 120-column terminal. On short terminals the screen scrolls.
        with TabbedContent(id="triage-results", initial="tab-causes"):
            with TabPane("Causes F2", id="tab-causes"):
                with VerticalScroll(id="triage-causes"):
                    yield Markdown("Run triage to see the likely causes, with the evidence from your files.",
                                   id="triage-causes-md")
            with TabPane("Loss curves F3", id="tab-curves"):
                yield PlotextPlot(id="triage-curves")
            with TabPane("Findings F4", id="tab-findings"):
                yield DataTable(id="triage-findings", zebra_stripes=True, cursor_type="row")
                yield Static("", id="triage-finding-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#triage-findings", DataTable)
        table.add_columns("severity", "finding", "where", "detail")
        plot = self.query_one("#triage-curves", PlotextPlot)
        plot.plt.title("loss by step")
        self.query_one("#triage-log", Input).focus()  # typing a path is the first thing most people do

    # -- choosing files ---------------------------------------------------------
    @on(Input.Changed)
    def _remember_target(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("triage-")
        if key in FILE_FIELDS:
            self._target = key

    def on_descendant_focus(self, event) -> None:
        key = (getattr(event.widget, "id", None) or "").removeprefix("triage-")
        if key in FILE_FIELDS:
            self._target = key

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one(f"#triage-{self._target}", Input).value = str(event.path)

    # -- running ----------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        for key in FILE_FIELDS:
            v = self.query_one(f"#triage-{key}", Input).value.strip()
            if v:
                kw[key] = v
        sym = self.query_one("#triage-symptom", Select).value
        if sym is not Select.NULL and sym:
            kw["symptom"] = sym
        method = self.query_one("#triage-method", Select).value
        if method is not Select.NULL and method:
            kw["method"] = method
        lr = self.query_one("#triage-lr", Input).value.strip()
        if lr:
            kw["lr"] = lr
        return kw

    @on(Button.Pressed, "#triage-run")
    def action_run(self) -> None:
        """Start a triage run in a worker with what the form holds."""
        kw = self._settings()
        status = self.query_one("#triage-status", Static)
        if not kw:  # the core's message names command-line options; say it in this screen's terms
            status.set_classes("status-line -error")
            status.update("Nothing to triage yet: choose a log, a training or eval set, a symptom or a learning rate.")
            return
        if "lr" in kw:
            try:
                kw["lr"] = float(kw["lr"])
            except ValueError:
                status.set_classes("status-line -error")
                status.update(f"lr: expected a number such as 2e-4 (got {kw['lr']!r})")
                return
        status.set_classes("status-line -running")
        status.update("Running triage…")
        self.worker = self._triage(kw)

    @work(thread=True, exclusive=True, exit_on_error=False, group="triage")
    def _triage(self, kw: dict[str, Any]) -> None:
        from advisor.core.triage import run_triage
        from advisor.errors import UserError

        worker = get_current_worker()
        try:
            if "log" in kw:
                dataset = dataset_format(kw["log"])
                if dataset:
                    raise UserError(f"this looks like a dataset ({dataset}), not a training log: put it in train "
                                    "or eval; the log is the trainer's record of the run (trainer_state.json, "
                                    "a metrics CSV, Trainer output)", file=kw["log"])
            message: Message = TriageFinished(run_triage(**kw, progress=_ScreenProgress(self)).to_contract())
        except UserError as e:
            message = TriageFailed(screen_words(str(e)))
        except Exception as e:  # noqa: BLE001 - the screen must show it, not die on it or hide it
            message = TriageFailed(f"triage stopped on an unexpected error: {type(e).__name__}: {e}")
        # A thread cannot be stopped: a run replaced by a newer one (Run pressed again) finishes
        # anyway, and its result must not overwrite the newer one's.
        if not worker.is_cancelled:
            self.post_message(message)

    def on_triage_progressed(self, message: TriageProgressed) -> None:
        status = self.query_one("#triage-status", Static)
        if status.has_class("-running"):  # a late message must not overwrite the result
            status.update(f"Running triage… {message.description}: {100 * message.done:.0f}%")

    def on_triage_failed(self, message: TriageFailed) -> None:
        # The previous run's results must not stand beside this run's error as if they were its own.
        self.report = None
        self.saved_to = None
        self.query_one("#triage-findings", DataTable).clear()
        self.query_one("#triage-finding-detail", Static).update("")
        self.query_one("#triage-causes-md", Markdown).update("No result: the run stopped on the error above.")
        widget = self.query_one("#triage-curves", PlotextPlot)
        widget.plt.clear_data()
        widget.refresh()
        status = self.query_one("#triage-status", Static)
        status.set_classes("status-line -error")
        status.update(f"error: {message.error}")

    def on_triage_finished(self, message: TriageFinished) -> None:
        self.report = r = message.report
        self.saved_to = None
        status = self.query_one("#triage-status", Static)
        status.set_classes("status-line")
        n = len(r["findings"])
        top = r["causes"][0] if r["causes"] else None
        status.update(f"Triage finished: {n} finding{'s' * (n != 1)}"
                      + (f"; most likely cause: {top['id']} ({top['confidence']:.2f})" if top else ""))
        self._plot(r)
        from advisor.core.triage.render import short_where  # the core (numpy, pydantic) loads with the first run

        table = self.query_one("#triage-findings", DataTable)
        table.clear()
        for f in r["findings"]:
            table.add_row(f["severity"], f["id"], short_where(f["where"], r), f["detail"])
        self.query_one("#triage-finding-detail", Static).update(
            "Move through the table to read a finding in full." if r["findings"] else "No findings.")
        self.query_one("#triage-causes-md", Markdown).update(causes_markdown(r))

    # -- keys, saving, leaving ---------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Show one of the result tabs (F2 causes, F3 loss curves, F4 findings)."""
        self.query_one("#triage-results", TabbedContent).active = tab
        if tab == "tab-findings":
            self.query_one("#triage-findings", DataTable).focus()

    def unsaved(self) -> Optional[str]:
        """What would be lost by leaving now (``None`` when nothing would)."""
        if self.report is not None and self.saved_to is None:
            return "a triage result that is not saved"
        return None

    def action_save(self) -> None:
        """Save the result: ``.json`` (for ``advisor decide --triage``) or ``.md`` (a report), by the name."""
        from advisor.tui.screens.dialogs import ExportScreen

        if self.report is None:
            status = self.query_one("#triage-status", Static)
            status.set_classes("status-line -warning")
            status.update("Nothing to save yet: run triage first (ctrl+r).")
            return

        def done(path: Optional[Path]) -> None:
            if path is not None:
                self.saved_to = path
                status = self.query_one("#triage-status", Static)
                status.set_classes("status-line")
                use = f"; use it with `advisor decide --triage {path.name}`" if path.suffix.lower() == ".json" else ""
                status.update(f"Saved {path}{use}.")

        self.app.push_screen(ExportScreen("Save the triage result (.json for advisor decide --triage, .md for a "
                                          "report)", str(self.saved_to or "triage.json"), self.write), callback=done)

    def write(self, path: Path) -> None:
        """Write the current report to ``path``: JSON for a ``.json`` name, else the markdown report."""
        import json

        from advisor.core.io import atomic_write
        from advisor.core.triage import render_markdown

        assert self.report is not None
        if path.suffix.lower() == ".json":
            text = json.dumps(self.report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        else:
            text = render_markdown(self.report)
        atomic_write(path, text)

    def action_back(self) -> None:
        """Leave the screen; with an unsaved result, ask first."""
        from advisor.tui.screens.dialogs import confirm_leaving

        confirm_leaving(self, self.action_save, self.app.pop_screen)

    @on(DataTable.RowHighlighted, "#triage-findings")
    def _show_finding(self, event: DataTable.RowHighlighted) -> None:
        # The table cuts long details; the full text (and the full file path) goes under it.
        if self.report is None or not 0 <= event.cursor_row < len(self.report["findings"]):
            return
        f = self.report["findings"][event.cursor_row]
        self.query_one("#triage-finding-detail", Static).update(
            Text.assemble((f"{f['severity']} {f['id']}", "bold"), f"  {f['where']}\n", f["detail"]))

    def _plot(self, r: dict[str, Any]) -> None:
        widget = self.query_one("#triage-curves", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        # Same y range (clipped past a high start, and labelled), whole-number ticks and labelled best
        # checkpoint as the terminal report and the record: one plan for every chart.
        draw_plotext(plt, r, markers=("braille", "dot", "dot", "dot"))
        widget.refresh()
