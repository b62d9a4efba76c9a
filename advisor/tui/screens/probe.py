"""The probe screen: choose a config, pick suites, run, watch progress, read and save the report.

Opened from the home screen ("Run probe evals") as ``ProbeScreen()``: the
config defaults to ``probe.yaml`` in the current folder; another one can be
typed or picked in the file tree. The run is an *async* worker on Textual's
own event loop (the probe runner is asyncio), so progress callbacks arrive on
the UI thread and no ``call_from_thread`` is needed; a timer repaints the
progress a few times a second instead of on every request.

litellm is not imported here: it is imported in a thread when a run starts,
so the screen opens at once and the UI keeps painting during the multi-second
import. Escape or ctrl+c during a run cancels it; every call that finished is
already in the sqlite cache, so running again resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Footer,
    Input,
    Label,
    Markdown,
    ProgressBar,
    SelectionList,
    Static,
)

from advisor.core.probe.report import arm_errors, notes_markdown, suite_rows

SUITE_CHOICES = (
    ("task: your eval set, base vs candidate", "task"),
    ("shift: perturbed inputs (typos, case, ...)", "shift"),
    ("general: built-in capability set", "general"),
    ("knowledge: closed-book vs with context", "knowledge"),
    ("format: JSON validity / schema", "format"),
)
SUITE_IDS = tuple(v for _, v in SUITE_CHOICES)
NEEDS_EVAL_SET = ("task", "shift", "knowledge", "format")


@dataclass
class ProbeFinished(Message):
    """A probe run finished; ``report`` is the docs/formats.md section 4 JSON object."""

    report: dict[str, Any]


@dataclass
class ProbeFailed(Message):
    """A probe run stopped on an error; ``error`` is the message for the user (no traceback)."""

    error: str


@dataclass
class ProbeCancelled(Message):
    """The user cancelled a run; ``done`` calls of ``total`` had finished (and are cached)."""

    done: int
    total: int


class ScreenProgress:
    """The runner's Progress protocol, kept as plain counters the screen's timer paints."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.phase = ""
        self.totals: Any = None  # the runner's RunTotals (errors, cost so far), via bind()
        self._t0 = time.monotonic()
        self._hits0 = 0

    def bind(self, totals: Any) -> None:  # noqa: D102 - see runner.Progress
        self.totals = totals

    def start(self, total: int, description: str = "") -> None:  # noqa: D102
        self.total, self.done, self.phase = total, 0, description or "probing"
        self._t0 = time.monotonic()
        self._hits0 = self.totals.cache_hits if self.totals is not None else 0

    def update(self, n: int = 1) -> None:  # noqa: D102
        self.done += n

    def complete(self) -> None:  # noqa: D102
        self.done = self.total

    @property
    def errors(self) -> int:
        """Calls that ended in an error so far (after their retries)."""
        return int(getattr(self.totals, "errors", 0) or 0)

    @property
    def cost_usd(self) -> float:
        """Cost so far from litellm's price data (0 for models it has no price for)."""
        return float(getattr(self.totals, "cost_usd", 0.0) or 0.0)

    def eta_s(self) -> Optional[float]:
        """Seconds left in this phase at the rate of sent calls (cache hits are instant), or None."""
        hits = (self.totals.cache_hits if self.totals is not None else 0) - self._hits0
        sent_done = self.done - hits
        remaining = self.total - self.done
        if remaining <= 0:
            return 0.0
        if sent_done <= 0:
            return None
        return (time.monotonic() - self._t0) / sent_done * remaining

    def line(self) -> str:
        """``probing 40/248 · errors 0 · ETA 3 s · cost 0.0000 USD``."""
        eta = self.eta_s()
        eta_text = "estimating" if eta is None else (f"{eta:.0f} s" if eta < 120 else f"{eta / 60:.1f} min")
        return (f"{self.phase} {self.done}/{self.total} · errors {self.errors} · ETA {eta_text} · "
                f"cost {self.cost_usd:.4f} USD")


class ProbeScreen(Screen[None]):
    """Run probe evals from a config file and read the paired comparison."""

    DEFAULT_CSS = """
    ProbeScreen #probe-top { height: auto; }
    ProbeScreen #probe-files { width: 32; height: 16; border: round $panel; }
    ProbeScreen #probe-form { height: auto; width: 1fr; }
    ProbeScreen #probe-form Horizontal { height: auto; }
    ProbeScreen #probe-form Label { width: 8; padding: 1 1 0 0; }
    ProbeScreen #probe-config { width: 1fr; }
    ProbeScreen #probe-suites { height: 7; border: round $panel; }
    ProbeScreen #probe-bar { width: 1fr; height: 3; padding: 1 1 0 2; }
    ProbeScreen #probe-status { height: auto; padding: 0 1; color: $text-muted; }
    ProbeScreen #probe-status.-error { color: $error; }
    ProbeScreen #probe-status.-warning { color: $warning; }
    ProbeScreen #probe-status.-running { color: $accent; }
    ProbeScreen #probe-results { height: 1fr; }
    ProbeScreen #probe-table { height: auto; max-height: 9; }
    ProbeScreen #probe-save-row { height: auto; dock: bottom; }
    ProbeScreen #probe-save-row Label { width: 10; padding: 1 1 0 1; }
    ProbeScreen #probe-save { width: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back (cancels a run)"),
        Binding("ctrl+c", "cancel_run", "Cancel run", priority=True),
        Binding("ctrl+r", "run", "Run"),
        Binding("ctrl+s", "save", "Save JSON"),
    ]

    def __init__(self, config: str | Path | None = None, *, root: str | Path = ".", save_to: str = "probe.json",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """Args:
            config: the probe config to preset (default ``probe.yaml`` in the current folder).
            root: folder the file tree starts in.
            save_to: where "Save JSON" writes by default.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.config_path = str(config) if config is not None else "probe.yaml"
        self.root = Path(root)
        self.save_to = save_to
        self.report: Optional[dict[str, Any]] = None
        self.progress = ScreenProgress()
        self.running = False
        self.last_error: Optional[str] = None
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="probe-top"):
            yield DirectoryTree(str(self.root), id="probe-files")
            with Vertical(id="probe-form"):
                with Horizontal():
                    yield Label("config")
                    yield Input(value=self.config_path, placeholder="probe.yaml (advisor probe init writes one)",
                                id="probe-config")
                yield SelectionList[str](*((label, sid, True) for label, sid in SUITE_CHOICES), id="probe-suites")
                with Horizontal():
                    yield Button("Run", id="probe-run", variant="primary")
                    yield Button("Cancel", id="probe-cancel", disabled=True)
                    yield ProgressBar(total=None, show_eta=False, id="probe-bar")
                yield Static("", id="probe-status")
        with VerticalScroll(id="probe-results"):
            table: DataTable = DataTable(id="probe-table", zebra_stripes=True, cursor_type="row")
            yield table
            yield Markdown("", id="probe-notes")
        with Horizontal(id="probe-save-row"):
            yield Label("save to")
            yield Input(value=self.save_to, id="probe-save")
            yield Button("Save JSON", id="probe-save-btn", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#probe-table", DataTable).add_columns(
            "suite", "n", "base", "candidate", "delta", "95% CI", "verdict", "errors b/c")
        if Path(self.config_path).is_file():
            self._load(self.config_path)
        else:
            self._say(f"No {self.config_path} here: type a config path (enter loads it) or pick a file in the "
                      "tree. `advisor probe init` writes a commented template.")

    # -- status -----------------------------------------------------------------------
    def _say(self, text: str, kind: str = "") -> None:
        status = self.query_one("#probe-status", Static)
        status.set_classes(f"-{kind}" if kind else "")
        status.update(text)
        if kind == "error":
            self.last_error = text

    @property
    def status_text(self) -> str:
        """What the status line says now (tests read it)."""
        return str(self.query_one("#probe-status", Static).render())

    # -- choosing the config ----------------------------------------------------------------
    def _load(self, path: str, *, select: bool = True) -> Any:
        """Validate the config; with ``select``, tick its suites and say what it compares.

        Returns:
            The config, or None after showing the error on the status line.
        """
        from advisor.core.probe.config import load_config
        from advisor.errors import UserError

        try:
            cfg = load_config(path)
        except UserError as e:
            self._say(f"error: {e}", "error")
            return None
        if select:
            suites = self.query_one("#probe-suites", SelectionList)
            suites.deselect_all()
            for sid in cfg.suites:
                suites.select(sid)
            self._say(f"Loaded {path}: base {cfg.models.base} vs candidate {cfg.models.candidate}"
                      + (f" at {cfg.api_base}" if cfg.api_base else "") + ". Pick suites and run (ctrl+r).")
        return cfg

    @on(Input.Submitted, "#probe-config")
    def _config_submitted(self, event: Input.Submitted) -> None:
        self._load(event.value.strip())

    @on(DirectoryTree.FileSelected, "#probe-files")
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#probe-config", Input).value = str(event.path)
        self._load(str(event.path))

    # -- running ----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # ctrl+c cancels only while a run is going; otherwise it keeps its usual meaning (copy).
        if action == "cancel_run":
            return self.running
        return True

    @on(Button.Pressed, "#probe-run")
    def action_run(self) -> None:
        """Validate the form and start the run in an async worker."""
        if self.running:
            return
        path = self.query_one("#probe-config", Input).value.strip()
        if not path:
            self._say("error: type the path of a probe config (e.g. probe.yaml)", "error")
            return
        cfg = self._load(path, select=False)  # read it again: it may have changed; keep the ticked suites
        if cfg is None:
            return
        chosen = set(self.query_one("#probe-suites", SelectionList).selected)
        suites = [s for s in SUITE_IDS if s in chosen]
        if not suites:
            self._say("error: pick at least one suite", "error")
            return
        if not cfg.eval_set and any(s in NEEDS_EVAL_SET for s in suites):
            need = ", ".join(s for s in suites if s in NEEDS_EVAL_SET)
            self._say(f"error: {path}: key 'eval_set': is required for the suites {need} "
                      "(or pick only general)", "error")
            return
        self.report = None
        self.last_error = None
        self.query_one("#probe-table", DataTable).clear()
        self.query_one("#probe-notes", Markdown).update("")
        self._set_running(True)
        self.progress = ScreenProgress()
        self._say("Starting: loading litellm…", "running")
        self._probe(cfg, suites)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one("#probe-run", Button).disabled = running
        self.query_one("#probe-cancel", Button).disabled = not running
        self.query_one("#probe-save-btn", Button).disabled = running or self.report is None
        if running:
            self._timer = self.set_interval(0.2, self._paint_progress)
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.refresh_bindings()

    def _paint_progress(self) -> None:
        p = self.progress
        bar = self.query_one("#probe-bar", ProgressBar)
        if p.total:
            bar.update(total=p.total, progress=p.done)
            self._say(p.line(), "running")

    @work(exclusive=True, exit_on_error=False, group="probe")
    async def _probe(self, cfg: Any, suites: list[str]) -> None:
        from advisor.core.probe.engine import run_probe
        from advisor.core.probe.runner import _litellm, redact
        from advisor.errors import UserError

        try:
            # Import litellm off the event loop (seconds): the screen keeps painting meanwhile.
            await asyncio.to_thread(_litellm)
            report = await run_probe(cfg, suites, progress=self.progress)
        except asyncio.CancelledError:
            self.post_message(ProbeCancelled(self.progress.done, self.progress.total))
            raise
        except UserError as e:
            self.post_message(ProbeFailed(str(e)))
            return
        except Exception as e:  # noqa: BLE001 - shown on the screen, never as a traceback
            self.post_message(ProbeFailed(redact(f"{type(e).__name__}: {e}")))
            return
        self.post_message(ProbeFinished(report))

    def action_cancel_run(self) -> None:
        """Cancel the run; finished calls stay cached, so running again resumes."""
        if self.running:
            self.workers.cancel_group(self, "probe")

    def action_back(self) -> None:
        """Escape: cancel a run if one is going, else leave the screen."""
        if self.running:
            self.action_cancel_run()
        else:
            self.app.pop_screen()

    @on(Button.Pressed, "#probe-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel_run()

    # -- results ----------------------------------------------------------------------
    def on_probe_cancelled(self, message: ProbeCancelled) -> None:
        self._set_running(False)
        self._say(f"Cancelled after {message.done} of {message.total} calls; the finished ones are cached, "
                  "so Run resumes from here.", "warning")

    def on_probe_failed(self, message: ProbeFailed) -> None:
        self._set_running(False)
        self._say(f"error: {message.error}", "error")

    def on_probe_finished(self, message: ProbeFinished) -> None:
        self.report = r = message.report
        self._set_running(False)
        bar = self.query_one("#probe-bar", ProgressBar)
        bar.update(total=max(self.progress.total, 1), progress=max(self.progress.total, 1))
        table = self.query_one("#probe-table", DataTable)
        table.clear()
        for row in suite_rows(r):
            table.add_row(*row)
        self.query_one("#probe-notes", Markdown).update(notes_markdown(r))
        verdicts = ", ".join(f"{s['id']} {s.get('verdict')}" for s in r.get("suites") or [])
        run = r.get("run") or {}
        errors = int(run.get("errors") or 0)
        text = (f"Finished in {run.get('elapsed_s', 0):.1f} s: {verdicts}. Sent {run.get('requests_sent', 0)}, "
                f"cached {run.get('cache_hits', 0)}, cost {float(r.get('cost_usd') or 0):.4f} USD.")
        if errors:
            why = next((first for _, failed, first in arm_errors(r).values() if failed), None)
            self._say(f"{text} {errors} request(s) failed" + (f", e.g. {why}" if why else "")
                      + "; they are left out of the comparison, not scored 0.", "warning")
        else:
            self._say(text)

    # -- saving -----------------------------------------------------------------------
    @on(Button.Pressed, "#probe-save-btn")
    def action_save(self) -> None:
        """Write the JSON result (docs/formats.md section 4) where the save box says."""
        from advisor.core.io import atomic_write, to_json
        from advisor.errors import UserError

        if self.report is None:
            self._say("Nothing to save yet: run the probes first.", "warning")
            return
        target = self.query_one("#probe-save", Input).value.strip()
        if not target:
            self._say("error: type where to save the JSON (e.g. probe.json)", "error")
            return
        try:
            atomic_write(target, to_json(self.report))
        except (UserError, OSError) as e:
            self._say(f"error: cannot save: {e}", "error")
            return
        self._say(f"Saved {target}: use it with `advisor decide --evidence {target}` "
                  f"or `advisor triage --probe {target}`.")
