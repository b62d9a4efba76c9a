"""``advisor probe``: measure base vs candidate models on real requests (docs/formats.md section 4).

``advisor probe --config probe.yaml`` runs the suites and prints a report;
``advisor probe init [FILE]`` writes a commented config to start from.
Everything heavy (pydantic models, litellm, rich) is imported inside ``run``.
"""

from __future__ import annotations

import argparse

from advisor.commands import non_negative_number
import os
import sys

TEMPLATE = """\
# advisor probe config (docs/probe.md has every key). Paths are relative to this file.
# API keys are read from the environment the way litellm reads them
# (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...); they are never written anywhere.

models:
  base: openai/gpt-4o-mini                      # any litellm model string
  candidate: openai/ft:gpt-4o-mini:acme::abc123 # the fine-tuned model to judge
# api_base: http://127.0.0.1:8000/v1            # a local vLLM / llama.cpp / Ollama / proxy, for every model
# Or each model where it is served (docs/probe.md, "Where the models are served"):
#   candidate: {model: openai/my-ft, api_base: "http://127.0.0.1:8080/v1", api_key_env: LOCAL_KEY, revision: ckpt-1200}

eval_set: eval.jsonl      # one JSON object a line: {"input": "...", "expected": "...", "context": "..." (optional)}
                          # 50-100 cases at least, none of them in the training data
scorer: exact             # exact | normalized | contains | regex | choice | numeric | json_valid | json_schema
# scorer: {type: choice, choices: [billing, shipping, account, technical]}
# scorer: {type: numeric, tolerance: 0.01}
# scorer: {type: json_schema, schema: answer.schema.json}
# scorer: {type: judge, model: openai/gpt-4o, rubric: "Names the right queue and gives no advice."}  # judge-scored

suites: [task, shift, general, knowledge, format]
# task: your eval set; shift: perturbed copies (typos, case, punctuation, shorter, a distractor);
# general: the built-in capability set (catastrophic forgetting); knowledge: closed-book vs
# with each case's "context" (needs cases with context); format: JSON validity / schema.

system_prompt: "Route the ticket to one queue: billing, shipping, account or technical. Answer with the queue only."

# Decoding settings are locked for every arm and recorded in the output.
temperature: 0
max_tokens: 64
# top_p: 1
# seed: 7

concurrency: 8            # requests in flight at once
timeout_s: 60             # per request
max_retries: 4            # on 429, 5xx, connection errors and timeouts (exponential backoff, jitter)
# budget_usd: 2.00        # stop sending once litellm's cost data says this much is spent
# cache: .advisor-probe-cache.sqlite   # responses are cached here; re-runs and --resume reuse them

# As "Fine-Tuned vs. Prompted: What Evaluation Data Actually Says About the Trade-offs" advises:
# compare the candidate with a well-prompted base, not a bare one.
# prompted_baseline:
#   system_prompt: "You route support tickets. Queues: billing (payments, invoices, refunds), ..."
#   few_shot:
#     - {input: "I was charged twice", output: "billing"}

# shift:
#   perturbations: [typos, case, punct_spacing, truncate, distractor]
#   paraphrase_model: openai/gpt-4o-mini   # adds one paraphrase per input
# format:
#   schema: answer.schema.json             # else: any valid JSON passes
# stats: {resamples: 2000, seed: 0, min_n: 50}
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe",
        help="measure base vs candidate models (task, shift, general, knowledge, format suites)",
        description="Run probe evals against any model litellm reaches and report paired differences "
        "with 95% intervals and exact tests; `--plan RECORD` runs and judges a decision record's pre-registered test. "
        "`advisor probe init [FILE]` writes a config template.",
    )
    p.add_argument("action", nargs="?", choices=("init",), help="init: write a commented config template")
    p.add_argument("file", nargs="?", metavar="FILE", help="for init: where to write (default probe.yaml)")
    p.add_argument("--config", "-c", metavar="FILE", help="probe config YAML")
    p.add_argument("--suites", metavar="LIST", help="comma-separated subset: task,shift,general,knowledge,format")
    p.add_argument("--format", "-f", choices=("md", "json", "text", "markdown", "github"), default="md",
                   help="output format: md or markdown (default; also for $GITHUB_STEP_SUMMARY), json, text, "
                        "github (workflow annotations)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of this config (finished calls come from the cache)")
    p.add_argument("--plan", metavar="RECORD",
                   help="run the confirmation test a decision record pre-registered (its plan decides the suites), "
                   "judge it (confirmed | refuted | inconclusive) and write the result and status back into RECORD")
    p.add_argument("--aa", action="store_true",
                   help="A/A run: the base against itself at the configured temperature, to see how big a "
                   "difference noise alone makes")
    p.add_argument("--fail-on", choices=("regression", "errors", "refuted", "inconclusive"), action="append", default=[],
                   help="exit 1 on any suite regression, on any errored case, or (with --plan) when the gate is "
                   "refuted or inconclusive; repeatable")
    p.add_argument("--cache", metavar="PATH", help="sqlite response cache (default: beside the config)")
    p.add_argument("--no-cache", action="store_true", help="send every request again (answers still get stored)")
    p.add_argument("--budget-usd", type=non_negative_number, metavar="X", help="stop sending requests once X USD is spent")
    p.add_argument("--force", action="store_true", help="for init: overwrite an existing file")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def _init(args: argparse.Namespace) -> int:
    from advisor.core.io import atomic_write
    from advisor.errors import UserError

    target = args.file or "probe.yaml"
    if os.path.exists(target) and not args.force:
        raise UserError("already exists; pass --force to overwrite it", file=target)
    atomic_write(target, TEMPLATE)
    print(f"advisor: wrote {target}; edit the models and eval_set, then run "
          f"`advisor probe --config {target}`", file=sys.stderr)
    return 0


def _progress(quiet: bool):  # noqa: ANN202 - returns a Progress implementation
    """Rich progress on an interactive terminal, nothing in CI or when piped."""
    from advisor.commands.term import progress_allowed

    if quiet or not progress_allowed():
        from advisor.core.probe.runner import SilentProgress

        return SilentProgress()
    return RichProgress()


class RichProgress:
    """The runner's Progress protocol as a rich progress bar with ETA, on standard error."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._task = None
        self._bar.start()

    def start(self, total: int, description: str = "") -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(description or "probing", total=total)

    def skip(self, n: int) -> None:
        """n requests came from the cache: leave them out of the bar, so the ETA counts only the rest."""
        if self._task is not None:
            task = self._bar.tasks[-1]
            self._bar.update(self._task, total=max(0, (task.total or 0) - n),
                             description=f"{task.description} ({n} from the cache)")

    def update(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def complete(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total)

    def stop(self) -> None:
        self._bar.stop()


def run(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from advisor.commands import emit
    from advisor.core.io import clean_terminal, to_json
    from advisor.core.probe import render_markdown, render_text
    from advisor.core.probe.report import never_answered_message
    from advisor.core.probe.config import SUITES, load_config
    from advisor.core.probe.engine import run_probe
    from advisor.errors import GateFailed, UserError

    if args.action == "init":
        return _init(args)
    if args.file:
        raise UserError(f"unexpected argument {args.file!r} (did you mean --config {args.file}?)")
    if not args.config:
        raise UserError("--config FILE is required (or `advisor probe init` to write one)")
    if args.budget_usd is not None and args.budget_usd < 0:
        raise UserError("--budget-usd: expected a number >= 0")
    gate_fail = [f for f in args.fail_on if f in ("refuted", "inconclusive")]
    if gate_fail and not args.plan:
        raise UserError(f"--fail-on {gate_fail[0]}: needs --plan RECORD (the gate judges a record's plan)")
    if args.plan and args.aa:
        raise UserError("--aa and --plan do not go together: an A/A run has no candidate to confirm")
    if args.plan and args.suites:
        raise UserError("--suites and --plan do not go together: the record's plan decides the suites")
    cfg = load_config(args.config)
    suites = None
    plan = record_text = None
    if args.plan:
        from advisor.core.confirm import read_plan
        from advisor.core.io import read_text

        record_text = read_text(args.plan)
        plan = read_plan(record_text, file=args.plan)
        suites = list(dict.fromkeys(sp.suite for sp in plan.suites))
        if list(cfg.suites) != suites:
            print(f"advisor: note: the plan in {args.plan} decides the suites ({', '.join(suites)}); "
                  f"the config's suites ({', '.join(cfg.suites)}) are ignored", file=sys.stderr)
        if any(s in ("task", "shift", "knowledge", "format") for s in suites) and not cfg.eval_set:
            raise UserError("is required for the plan's suites", file=args.config, key="eval_set")
    if args.aa:
        cfg = cfg.model_copy(update={"models": cfg.models.model_copy(update={"candidate": cfg.models.base})})
    if args.suites:
        suites = [s.strip() for s in args.suites.split(",") if s.strip()]
        bad = [s for s in suites if s not in SUITES]
        if bad or not suites:
            raise UserError(f"--suites: unknown suite {', '.join(bad) or '(none)'}; expected a comma-separated "
                            f"subset of: {', '.join(SUITES)}")
        if any(s in ("task", "shift", "knowledge", "format") for s in suites) and not cfg.eval_set:
            raise UserError("is required for these suites", file=args.config, key="eval_set")
    progress = _progress(args.quiet)
    try:
        report = asyncio.run(run_probe(
            cfg, suites, progress=progress,
            cache_path=Path(args.cache) if args.cache else None,
            use_cache=not args.no_cache, resume=args.resume, budget_usd=args.budget_usd, aa=args.aa,
            on_wait=lambda msg: print(f"advisor: {clean_terminal(msg)}", file=sys.stderr, flush=True),
        ))
    finally:
        stop = getattr(progress, "stop", None)
        if stop:
            stop()

    gate = None
    if args.aa:
        from advisor.core.probe.gate import aa_summary

        report["aa"] = aa_summary(report)
    if plan is not None:
        from advisor.core.probe.gate import evaluate

        gate = evaluate(plan, report)
        report["gate"] = gate
    if args.format == "json":
        text = to_json(report)
    elif args.format in ("md", "markdown"):
        text = render_markdown(report)
    elif args.format == "github":
        from advisor.core.ci import probe_github

        from advisor.core.io import clean_data

        text = probe_github(clean_data(report))
    else:
        text = render_text(report)
    if gate is not None and args.format != "json":
        text = gate_text(gate, md=args.format == "md") + text
    if args.aa and args.format != "json":
        text = report["aa"]["message"] + ".\n\n" + text
    emit(text, args.output)
    for w in report.get("warnings") or []:
        print(f"advisor: warning: {clean_terminal(str(w))}", file=sys.stderr)
    if report.get("cost_note"):
        print(f"advisor: note: {clean_terminal(str(report['cost_note']))}", file=sys.stderr)

    dead = never_answered_message(report)
    if dead:
        raise UserError(dead, file=args.config)
    if gate is not None:
        _write_back(args, cfg, record_text, gate, report)
    failed = []
    if gate is not None and gate["verdict"] in gate_fail:
        failed.append(f"the confirmation gate is {gate['verdict']}: {'; '.join(gate['reasons'][:2])}")
    if "regression" in args.fail_on:
        reg = [s["id"] for s in report["suites"] if s.get("verdict") == "regression"]
        if reg:
            failed.append("regression in " + ", ".join(reg))
    if "errors" in args.fail_on and report["run"]["errors"]:
        failed.append(f"{report['run']['errors']} request(s) ended in errors")
    if failed:
        raise GateFailed("; ".join(failed))
    return 0


def gate_text(gate: dict, *, md: bool) -> str:
    """The gate verdict and its reasons, put before the report."""
    head = f"Confirmation gate: {gate['verdict'].upper()} ({gate['lever']}, min_delta {gate['min_delta']:g}"
    if gate.get("achieved_mde") is not None:
        head += f", achieved MDE {gate['achieved_mde']:.3f}"
    head += f", required cases {gate.get('required_cases')})"
    lines = [f"## {head}" if md else head, ""]
    lines += [f"- {r}" for r in gate.get("reasons") or []]
    return "\n".join(lines) + "\n\n"


def _write_back(args: argparse.Namespace, cfg, record_text: str, gate: dict, report: dict) -> None:  # noqa: ANN001
    """Write the result section and the status into the record, atomically."""
    import datetime as dt

    from advisor.core.io import atomic_write
    from advisor.core.probe.gate import STATUS, file_sha256, result_section, write_back

    sha = None
    if cfg.eval_set:
        try:
            sha = file_sha256(cfg.resolve(cfg.eval_set).read_bytes())
        except OSError:
            sha = None
    section = result_section(gate, report, date=dt.date.today(), eval_sha256=sha)
    atomic_write(args.plan, write_back(record_text, gate, section))
    print(f"advisor: wrote {args.plan} (gate {gate['verdict']}, status {STATUS[gate['verdict']]})", file=sys.stderr)
