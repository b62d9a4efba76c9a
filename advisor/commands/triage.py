"""``advisor triage``: ranked causes for a fine-tune that got worse (docs/formats.md section 3).

Reads any combination of a training log, the train/eval datasets, the
settings, a symptom and a probe result; prints a rich report with the loss
curves drawn in the terminal (``text``), the contract JSON (``json``) or
markdown (``md``). Heavy imports (the core, rich, plotext) happen in ``run``.
"""

from __future__ import annotations

import argparse

SYMPTOMS = ("worse_general_better_target", "worse_everything", "better_offline_worse_prod",
            "incoherent_outputs", "good_early_worse_later")


def _format_help_with_formats(self) -> str:
    """``--help`` lists the log formats from the format table, imported only when help is shown."""
    from advisor.core.triage.logs.table import help_lines

    self.epilog = help_lines()
    self.formatter_class = argparse.RawDescriptionHelpFormatter
    return super(type(self), self).format_help()


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "triage",
        help="triage a fine-tuned model that got worse: logs, datasets, settings -> ranked causes",
        description="Point it at what the run left behind and get ranked causes with evidence from your "
        "files, the best checkpoint, first checks and fixes. Formats are detected from the content "
        "(docs/triage.md lists them).",
    )
    # The same parser class as every subcommand (its error wording), plus the format list in --help.
    p.__class__ = type("TriageParser", (type(p),), {"format_help": _format_help_with_formats})
    p.add_argument("--symptom", metavar="ID", choices=SYMPTOMS, help="what you see: " + ", ".join(SYMPTOMS))
    p.add_argument("--log", metavar="PATH", help="training log, or the folder a trainer wrote (its newest log is used, "
                   "and the report says which and why); formats below")
    p.add_argument("--train", metavar="FILE", help="training set (JSONL or JSON array: chat, prompt/completion, alpaca, "
                   "preference, OpenAI DPO, instruction/response, question/answer, input/output, Gemini contents)")
    p.add_argument("--eval", metavar="FILE", help="eval set (same formats); checked for leakage against --train")
    p.add_argument("--fields", metavar="MAP", help="read the datasets' examples through this key mapping, e.g. "
                   "prompt=question,completion=answer (roles: prompt, completion, system, rejected)")
    p.add_argument("--lr", type=float, metavar="X", help="learning rate used (overrides the log's)")
    p.add_argument("--epochs", type=float, metavar="N", help="epochs trained (overrides the log's)")
    p.add_argument("--method", choices=("full", "lora"), help="fine-tuning method")
    p.add_argument("--probe", metavar="FILE", help="an `advisor probe --format json` result")
    p.add_argument("--step-col", metavar="NAME", help="log column holding the step")
    p.add_argument("--loss-col", metavar="NAME", help="log column holding the training loss")
    p.add_argument("--eval-col", metavar="NAME", help="log column holding the eval loss")
    p.add_argument("--format", "-f", choices=("text", "md", "json", "markdown", "github"), default="text",
                   help="output format: text (default: the terminal report), md or markdown (also for "
                        "$GITHUB_STEP_SUMMARY), json, github (workflow annotations)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run(args: argparse.Namespace) -> int:
    import sys

    from advisor.commands import emit
    from advisor.core.io import clean_data, to_json
    from advisor.core.triage import render_markdown, run_triage
    from advisor.errors import UserError

    if not any((args.log, args.train, args.eval, args.symptom, args.lr is not None, args.epochs is not None, args.probe)):
        raise UserError(
            "nothing to triage: give at least one input, e.g.\n"
            "  advisor triage --log trainer_state.json --train train.jsonl --eval eval.jsonl\n"
            "  advisor triage --symptom good_early_worse_later --epochs 5 --method lora --lr 3e-4\n"
            "(`advisor triage --help` lists every option)"
        )
    from advisor.commands.term import progress_allowed

    progress = _FileProgress() if (args.log or args.train or args.eval) and progress_allowed() else None
    try:
        report = run_triage(
            log=args.log, train=args.train, eval=args.eval, symptom=args.symptom, lr=args.lr, epochs=args.epochs,
            method=args.method, probe=args.probe, step_col=args.step_col, loss_col=args.loss_col,
            eval_col=args.eval_col, progress=progress, fields=args.fields,
        )
    finally:
        if progress is not None:
            progress.stop()
    data = report.to_contract()
    if args.format == "json":
        text = to_json(data)
    elif args.format in ("md", "markdown"):
        text = render_markdown(data)
    elif args.format == "github":
        from advisor.core.ci import triage_github

        text = triage_github(clean_data(data))  # annotations reach a terminal-like log: no control sequences
    else:
        text = None
    if text is not None or args.output:
        emit(text if text is not None else render_text(data, width=110, color=False), args.output)
        return 0
    from advisor.commands.term import console

    print_report(clean_data(data), console())
    return 0


class _FileProgress:
    """The core's Progress protocol as a transient rich bar on standard error.

    The bar appears only once a read has taken a second (big logs and
    datasets), so quick runs print nothing extra; rich is imported then too.
    ``ADVISOR_PROGRESS_DELAY`` (seconds) moves that second: 0 shows the bar
    from the first update, whatever the machine's speed.
    """

    DELAY = 1.0

    def __init__(self) -> None:
        import os
        import time

        try:
            self._delay = max(0.0, float(os.environ.get("ADVISOR_PROGRESS_DELAY", self.DELAY)))
        except ValueError:  # not a number: keep the default second
            self._delay = self.DELAY
        self._clock = time.monotonic
        self._bar = None
        self._task = None
        self._total = 1
        self._done = 0
        self._desc = ""
        self._t0 = self._clock()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                             TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self._desc, total=self._total, completed=self._done)

    def start(self, total: int, description: str = "") -> None:
        self._total, self._done, self._desc = max(total, 1), 0, description
        self._t0 = self._clock()
        if self._bar is not None:
            self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=self._total)

    def update(self, n: int = 1) -> None:
        self._done += n
        if self._bar is None and self._clock() - self._t0 >= self._delay:
            self._show()
        elif self._bar is not None:
            self._bar.advance(self._task, n)

    def complete(self) -> None:
        self._done = self._total
        if self._bar is not None:
            self._bar.update(self._task, completed=self._total)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def loss_chart(data: dict, width: int = 100, height: int = 16) -> str | None:
    """The loss curves drawn with plotext (ANSI text), or None without curves.

    Train loss and every eval loss, one marker style each so the lines stay
    distinguishable without colour; NaN/Inf points left out. The y range,
    whole-number ticks and the labelled best checkpoint come from
    :func:`advisor.core.triage.chart.plan` (the TUI and the record use it too).
    """
    import plotext as plt

    from advisor.core.triage.chart import draw_plotext

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    if not draw_plotext(plt, data):
        return None
    return plt.build()


def print_report(data: dict, console) -> None:
    """Print the rich report: inputs, best checkpoint, loss chart, findings table, causes."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from advisor.core.triage.render import _g, short_where

    console.print(Text("advisor triage", style="bold"), Text("- fine-tuned model worse than its base"))
    inputs = data.get("inputs") or {}
    for k in ("log", "train", "eval", "probe"):
        v = inputs.get(k)
        if isinstance(v, dict):
            console.print(f"  {k:6} {v.get('path')}" + (f"  [dim]({v['format']})[/dim]" if v.get("format") else ""))
    if data.get("symptom"):
        console.print(f"  symptom {data['symptom']}")
    best = data.get("best_checkpoint")
    if best:
        ep = f", epoch {_g(best['epoch'])}" if best.get("epoch") is not None else ""
        console.print(f"[bold]Best checkpoint:[/bold] step {_g(best['step'])}{ep}, eval loss {_g(best['eval_loss'])} "
                      f"[dim]at {best.get('where')}[/dim]")
    elif inputs.get("log"):
        console.print("[bold]Best checkpoint:[/bold] none (no eval loss in the log)")
    chart = loss_chart(data, width=max(40, min(console.width, 120) - 2))
    if chart:
        from advisor.core.triage.chart import plan

        console.print(Text.from_ansi(chart))
        p = plan(data)
        if p is not None and p.clipped:
            console.print(f"[dim]{p.clipped[0].upper() + p.clipped[1:]}; the vertical line is the best checkpoint.[/dim]")
    findings = data.get("findings") or []
    if findings:
        t = Table(title="Findings", show_lines=False, expand=True)
        t.add_column("severity", no_wrap=True, min_width=7)
        t.add_column("finding", min_width=12)
        t.add_column("where", overflow="fold", ratio=1, min_width=16)
        t.add_column("detail", ratio=3, min_width=30)
        style = {"error": "bold red", "warning": "yellow", "info": "dim"}
        for f in findings:
            t.add_row(Text(f["severity"], style=style.get(f["severity"], "")), f["id"], short_where(f["where"], data),
                      f["detail"])
        console.print(t)
    causes = data.get("causes") or []
    if causes:
        t = Table(title="Likely causes", expand=True)
        t.add_column("#", justify="right")
        t.add_column("cause")
        t.add_column("confidence", justify="right")
        t.add_column("for/against", justify="right")
        for c in causes:
            t.add_row(str(c["rank"]), f"{c.get('title') or c['id']} [dim]({c['id']})[/dim]", f"{c['confidence']:.2f}",
                      f"{len(c.get('evidence') or [])}/{len(c.get('evidence_against') or [])}")
        console.print(t)
        for c in causes[:3]:
            body = Text()
            for e in c.get("evidence") or ["no direct evidence in these files; ranked by how often it happens"]:
                body.append("+ ", style="green").append(e + "\n")
            for e in c.get("evidence_against") or []:
                body.append("- ", style="red").append(e + "\n")
            if c.get("first_checks"):
                body.append("First checks:\n", style="bold")
                for i, x in enumerate(c["first_checks"], 1):
                    body.append(f"  {i}. {x}\n")
            if c.get("fixes"):
                body.append("Fixes:\n", style="bold")
                for x in c["fixes"]:
                    body.append(f"  * {x}\n")
            body.append(f"source: {c.get('source', '')}", style="dim")
            console.print(Panel(body, title=f"{c['rank']}. {c.get('title') or c['id']} ({c['id']}) "
                                             f"confidence {c['confidence']:.2f}", title_align="left"))


def render_text(data: dict, width: int = 110, color: bool = False) -> str:
    """The rich report as plain text (for ``-o FILE``)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    print_report(data, Console(file=buf, width=width, no_color=not color, force_terminal=color, color_system=None))
    return buf.getvalue()
