"""The result: verdict and recommendation first, then why, what blocks it, and what would change it.

Dismisses with ``"interview"`` when the user goes back to the questions and
``None`` when they go home. Changing an answer here recomputes in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Collapsible, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from advisor.core.decide import Assessment, decide, verdict_reason
from advisor.core.knowledge import KnowledgeBase
from advisor.core.record import would_settle
from advisor.interview.flow import Interview, answer_label
from advisor.tui.screens.dialogs import EditAnswerScreen, Edited, ExportScreen, RecordExportScreen
from advisor.interview.session import Session



def verdict_text(a: Assessment, kb: KnowledgeBase) -> Text:
    """The headline block: recommendation, verdict, method, confidence."""
    primary = kb.option(a.primary)
    t = Text()
    t.append("Recommendation: ", style="bold")
    t.append(primary.name, style="bold reverse")
    t.append("\n")
    reason = verdict_reason(a)
    t.append(reason[0].upper() + reason[1:] + ".")
    t.append(f"  (verdict: {a.verdict})", style="dim")
    if a.fine_tune_method:
        t.append(f"\nFine-tuning method: {a.fine_tune_method}")
        if a.method_reasons:
            t.append(f" ({a.method_reasons[0].title})", style="dim")
    for g in a.gates:
        if g.lever == "fine_tune":
            t.append(f"\nHeld by a gate: {g.title}. ", style="bold yellow")
            t.append(g.lift, style="dim")
    t.append(f"\nConfidence: {a.confidence_label} ({a.confidence:.2f}), {a.plan.confidence.text}; "
             f"{len(a.blockers)} blocker(s), {len(a.unknowns)} open question(s).")
    t.append(f"\n{primary.summary.strip()}", style="italic")
    return t


def plan_text(a: Assessment) -> Text:
    """The plan: ordered steps, each with its go/no-go test, then the kill criterion."""
    p = a.plan
    t = Text()
    t.append(p.summary + "\n", style="bold")
    for s in p.steps:
        t.append(f"{s.order}. ", style="bold")
        t.append(s.title, style="bold")
        t.append(f"\n   {s.why}\n")
        t.append(f"   Go/no-go: {s.go_no_go.threshold}\n", style="green")
        t.append(f"   Cost: {s.cost}\n", style="dim")
        if s.sources:
            t.append(f"   source: {'; '.join(s.sources)}\n", style="dim")
    for lever in p.in_place:
        t.append(f"Keep {lever.replace('_', ' ')} in production.\n", style="italic")
    if p.kill_criterion:
        t.append("Kill criterion: ", style="bold red")
        t.append(p.kill_criterion + "\n")
    path = p.readiness.path_to_ready
    if path:
        t.append("Path to ready: ", style="bold")
        t.append("; ".join(f"{c.prompt} “{c.to_label}”" for c in path) + "\n")
    elif path is None and p.readiness.path_note:
        t.append("Path to ready: ", style="bold")
        t.append(p.readiness.path_note + "\n", style="dim")
    t.rstrip()
    return t


def option_detail(a: Assessment, option_index: int) -> Group:
    """Every rule behind one option's score, with its rationale and source."""
    o = a.options[option_index]
    rows: list[Text] = []
    if not o.reasons:
        rows.append(Text("No rule applied to it with these answers.", style="dim"))
    for r in o.reasons:
        rows.append(Text.assemble((f"{r.weight:+g} ", "bold green" if r.weight > 0 else "bold red"),
                                  (r.title, "bold"), (f"  [{r.rule}]", "dim")))
        rows.append(Text(f"    {r.text}"))
        rows.append(Text(f"    source: {r.source}", style="dim"))
    if o.pending:
        rows.append(Text(f"Waiting on unanswered questions: {', '.join(o.pending)}", style="italic"))
    return Group(*rows)


class ResultScreen(Screen[Optional[str]]):
    """Show the assessment for an interview; export it; change answers and recompute.

    Args:
        interview: the answers (effective answers are assessed: skipped questions don't count).
        session: the autosaved session, updated when an answer changes.
    """

    HELP_TITLE = "Result"
    HELP = """
The recommendation for this job and why: the verdict on fine-tuning first, then every
lever's score rule by rule (**Enter** on a lever opens its rules, rationale and sources),
what blocks fine-tuning today with the fix for each, the open questions, and what single
answer would change the advice.

- Change an answer at the bottom (**a** jumps there) and the result recomputes in place.
- **m** saves the decision record as the next numbered record in the decisions folder
  (`docs/decisions/NNNN-slug.md`; the dialog lets you change the folder, supersede an
  earlier record on the same job and write the JSON beside it, or pick another file).
- **j** exports the JSON, named after the record (`NNNN-slug.json`), **s** the answers
  file for `advisor decide --answers`.
- **t** opens the probe screen with the record's confirmation test.
- Open questions say whether you answered "I don't know" or have not reached them yet;
  questions your earlier answers make moot are listed as *not asked* and do not count.
"""

    BINDINGS = [
        # Short descriptions: every key, F1 and the palette included, must fit in 80 columns.
        Binding("m", "export_markdown", "Record"),
        Binding("j", "export_json", "JSON"),
        Binding("s", "save_answers", "Answers"),
        Binding("a", "focus_answers", "Edit"),
        Binding("t", "run_plan", "Test"),
        Binding("b", "interview", "Questions"),
        Binding("escape", "home", "Home"),
    ]

    def __init__(self, interview: Interview, session: Session) -> None:
        super().__init__()
        self.interview = interview
        self.session = session
        self.kb = interview.kb
        self.assessment = self._assess()
        self.record_path: Optional[Path] = None  # the last markdown export: the probe gate writes back into it
        self.gate: Optional[dict[str, Any]] = None
        self._probe_screen: Any = None

    def _assess(self) -> Assessment:
        return decide(self.interview.effective_answers(), self.interview.kb)

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(id="result-body")
        yield Footer(compact=True)  # every key, F1 included, fits in 80 columns

    async def on_mount(self) -> None:
        await self.rebuild()

    # -- building -------------------------------------------------------------
    def _sections(self) -> list[Widget]:
        a, kb = self.assessment, self.kb
        out: list[Widget] = [Static(verdict_text(a, kb), id="verdict")]

        out.append(Static("The plan (do these in order)", classes="section-title"))
        out.append(Static(plan_text(a), id="plan"))

        out.append(Static("Ranking (Enter on an option shows the rules, rationale and sources)", classes="section-title"))
        for i, o in enumerate(a.options):
            note = "   (gated)" if o.gated_by else "   (in production)" if o.in_place else ""
            out.append(Collapsible(Static(option_detail(a, i), classes="option-detail"),
                                   title=f"{i + 1}. {o.name}   score {o.score:+g}{note}",
                                   collapsed=i != 0, id=f"option-{o.id}"))

        skipped = [u for u in a.unverified if u.not_asked]
        unchecked = [u for u in a.unverified if not u.not_asked]
        counts = (f"{len(a.blockers)}" + (f", {len(unchecked)} not checked yet" if unchecked else "")
                  + (f", {len(skipped)} not asked" if skipped else ""))
        out.append(Static(f"Blockers to clear before fine-tuning ({counts})", classes="section-title"))
        blockers = Text()
        for b in a.blockers:
            blockers.append("✗ ", style="bold red")
            blockers.append(f"{b.check}: ", style="bold")
            blockers.append(f"{b.text}\n")
            blockers.append(f"   Fix: {b.fix}\n")
            blockers.append(f"   source: {b.source}\n", style="dim")
        for u in unchecked:
            prompts = "; ".join((kb.question(k).prompt if kb.question(k) else k) for k in u.keys)
            blockers.append("? ", style="bold yellow")
            blockers.append(f"{u.check}: ", style="bold")
            blockers.append(f"not checked yet; answer: {prompts}\n")
        groups: dict[str, list[str]] = {}
        for u in skipped:
            groups.setdefault(self._skipped_because(u.keys), []).append(u.check)
        for because, checks in groups.items():
            blockers.append(f"Not asked, because {because}:\n", style="dim")
            for check in checks:
                blockers.append(f"  - {check}\n", style="dim")
        if not a.blockers and not a.unverified:
            blockers.append("None: every readiness check passes.", style="green")
        blockers.rstrip()  # in place: rich Text.rstrip returns None
        out.append(Static(blockers, id="blockers"))

        out.append(Static(f"Open questions ({len(a.unknowns)})", classes="section-title"))
        unknowns = Text()
        visited = set(self.interview.visited)
        for u in a.unknowns:
            unknowns.append("• ", style="bold")
            unknowns.append(u.prompt)
            unknowns.append(" (you said you don't know)\n" if u.key in visited else " (not answered yet)\n",
                            style="dim")
            for c in u.could_change[:2]:
                unknowns.append(f"   if {c}\n", style="dim")
            if not u.could_change and (u.rules or u.blockers):
                unknowns.append(f"   {would_settle(kb, u)}\n", style="dim")
        if not a.unknowns:
            unknowns.append("None: every question asked was answered.\n" if a.not_asked
                            else "None: every question was answered.\n")
        if a.not_asked:
            unknowns.append(f"Not asked: {len(a.not_asked)} question(s) your earlier answers make moot; "
                            "they do not lower the confidence.", style="dim")
            for n in a.not_asked:
                for c in n.could_change[:2]:
                    unknowns.append(f"\n   if “{n.prompt}” were asked: {c}", style="dim")
        unknowns.rstrip()  # in place: rich Text.rstrip returns None
        out.append(Static(unknowns, id="unknowns"))

        out.append(Static("What would change this", classes="section-title"))
        changes = Text()
        for c in a.counterfactuals:
            changes.append("→ ", style="bold")
            changes.append(c.text + "\n")
        if not a.counterfactuals:
            changes.append("No single changed answer would alter the recommendation or the verdict.")
        changes.rstrip()  # in place: rich Text.rstrip returns None
        out.append(Static(changes, id="changes"))
        out += self._confirmation_widgets()

        out.append(Static("Your answers (Enter on one to change it; the result recomputes)", classes="section-title"))
        options = []
        conf = a.plan.confirmation
        for q in self.interview.questions():
            value = self.interview.value(q.key)
            shown = answer_label(q, value, visited=q.key in visited)
            if q.has_default and value is None and q.key == "task.min_delta":
                shown += f" (the plan uses the default, {conf.min_delta * 100:g} points)"
            label = Text.assemble(q.prompt, "\n   ", (shown, "bold"))
            options.append(Option(label, id=q.key))
        out.append(OptionList(*options, id="answers"))
        return out

    def _skipped_because(self, keys: list[str]) -> str:
        """"you answered “0” to “How many examples of the job…”" for checks on skipped questions."""
        becauses = [k for n in self.assessment.not_asked if n.key in keys for k in n.because]
        parts = []
        for k in dict.fromkeys(becauses):
            q, v = self.kb.question(k), self.interview.value(k)
            if q is not None and v is not None:
                prompt = q.prompt if len(q.prompt) <= 44 else q.prompt[:43].rstrip() + "…"
                parts.append(f"you answered “{answer_label(q, v, visited=True)}” to “{prompt}”")
        return " and ".join(parts) if parts else "of your earlier answers"

    async def rebuild(self) -> None:
        """Re-render every section from :attr:`assessment`."""
        body = self.query_one("#result-body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(self._sections())
        self.app.result_shown(self.interview, self.assessment)  # type: ignore[attr-defined]

    # -- changing an answer -----------------------------------------------------
    @on(OptionList.OptionSelected, "#answers")
    def _answer_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id or ""
        self.edit_answer(key)

    def edit_answer(self, key: str) -> None:
        """Open the question ``key`` in a dialog; on return, store the answer and recompute."""
        q = self.kb.question(key)
        if q is None:
            return
        screen = EditAnswerScreen(q, self.interview.value(key), answered=key in self.interview.visited)
        self.app.push_screen(screen, callback=self._edited)

    async def _edited(self, edited: Optional[Edited]) -> None:
        if edited is None:
            return
        before = self.assessment
        self.interview.set(edited.key, edited.value)
        self.app.autosave(self.interview, self.session)  # type: ignore[attr-defined]
        self.assessment = self._assess()
        await self.rebuild()
        answers = self.query_one("#answers", OptionList)
        keys = [q.key for q in self.interview.questions()]
        if edited.key in keys:
            answers.highlighted = keys.index(edited.key)
        answers.focus()
        answers.scroll_visible(animate=False)
        if (before.primary, before.verdict) != (self.assessment.primary, self.assessment.verdict):
            self.notify(f"Recomputed: now {self.kb.option(self.assessment.primary).name}, "
                        f"verdict {self.assessment.verdict}.", title="The result changed")
        else:
            self.notify("Recomputed: the recommendation and the verdict stay the same.")

    def action_focus_answers(self) -> None:
        answers = self.query_one("#answers", OptionList)
        answers.focus()
        answers.scroll_visible(animate=False)

    # -- exporting ------------------------------------------------------------
    def _shown(self, path: Path) -> str:
        """A path as the dialogs offer it: relative to the folder advisor started in when it is inside it."""
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    def action_export_markdown(self) -> None:
        """The record dialog: the next numbered record in the decisions folder, optionally superseding one."""
        from advisor.core.decisions import folder_for

        desc = self.interview.effective_answers().task.description

        def save(folder: Path, supersede: list[Any], with_json: bool) -> Path:
            saved = self.app.save_numbered_record(  # type: ignore[attr-defined]
                folder, self.interview, self.assessment, supersede=supersede, with_json=with_json)
            self.record_path = saved.path
            extra = [f"{p.name} is marked superseded by it" for p in saved.superseded]
            if with_json:
                extra.append(f"and {saved.path.with_suffix('.json').name}")
            if saved.note:
                extra.append(saved.note)
            self.notify(f"Saved {self._shown(saved.path)}" + ("; " + "; ".join(extra) if extra else ""), title="Saved")
            return saved.path

        def to_file() -> None:
            self._export("Save the decision record to a file (markdown)", "decision-record.md",
                         self.app.write_markdown)  # type: ignore[attr-defined]

        self.app.push_screen(RecordExportScreen(desc, folder_for(None), save, to_file))

    def action_export_json(self) -> None:
        """JSON named after the record: beside the record saved here, else as the next record's number would be."""
        from advisor.core.decisions import folder_for, next_path

        if self.record_path is not None and self.record_path.suffix == ".md":
            default = self._shown(self.record_path.with_suffix(".json"))
        else:
            desc = self.interview.effective_answers().task.description
            default = str(next_path(folder_for(None), desc).with_suffix(".json"))
        folder = folder_for(None).resolve()

        def write(path: Path, interview: Interview, assessment: Assessment) -> None:
            if path.parent.resolve() == folder:  # the decisions folder is created, as for a record
                folder.mkdir(parents=True, exist_ok=True)
            self.app.write_json(path, interview, assessment)  # type: ignore[attr-defined]

        self._export("Export the result as JSON", default, write)

    def action_save_answers(self) -> None:
        self._export("Save the answers file (for `advisor decide --answers`)", "answers.yaml",
                     self.app.write_answers)  # type: ignore[attr-defined]

    def _export(self, title: str, default: str, writer: Any) -> None:
        def write(path: Path) -> None:
            writer(path, self.interview, self.assessment)
            if writer == self.app.write_markdown:  # type: ignore[attr-defined]
                self.record_path = Path(path)

        def done(path: Optional[Path]) -> None:
            if path is not None:
                self.notify(f"Saved {path}", title="Saved")

        self.app.push_screen(ExportScreen(title, default, write), callback=done)

    # -- the confirmation test ---------------------------------------------------
    def _confirmation_widgets(self) -> list[Widget]:
        from advisor.core.record import confirmation_plan

        plan = confirmation_plan(self.assessment)
        lines = [f"{sp.suite} ({sp.role}): {sp.metric}" for sp in plan.suites]
        need = (f"{plan.required_cases} paired cases detect {plan.min_delta * 100:g} points"
                + (" (default)" if plan.min_delta_source == "default" else ""))
        if plan.cases_to_add:
            need += f"; add {plan.cases_to_add} to your {plan.eval_cases}"
        body = "\n".join(lines + [need])
        if self.gate is not None:
            body = (f"Gate: {self.gate['verdict'].upper()}\n"
                    + "\n".join(f"  {r}" for r in (self.gate.get("reasons") or [])[:4]) + "\n\n" + body)
        return [Static("Confirmation test (t runs it on the probe screen)", classes="section-title"),
                Static(Text(body), id="confirmation")]

    def action_run_plan(self) -> None:
        """Open the probe screen preloaded with this decision's confirmation plan."""
        from advisor.core.record import confirmation_plan
        from advisor.tui.screens.probe import ProbeScreen

        self._probe_screen = ProbeScreen(plan=confirmation_plan(self.assessment), record=self.record_path)
        self.app.push_screen(self._probe_screen)

    async def on_screen_resume(self) -> None:
        gate = getattr(self._probe_screen, "gate", None)
        if gate is not None and gate is not self.gate:
            self.gate = gate
            await self.rebuild()

    def action_interview(self) -> None:
        self.dismiss("interview")

    def action_home(self) -> None:
        self.dismiss(None)
