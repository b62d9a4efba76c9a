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

# Seed 004's protocol: compare the candidate with a well-prompted base, not a bare one.
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
        "with 95% bootstrap intervals. `advisor probe init [FILE]` writes a config template.",
    )
    p.add_argument("action", nargs="?", choices=("init",), help="init: write a commented config template")
    p.add_argument("file", nargs="?", metavar="FILE", help="for init: where to write (default probe.yaml)")
    p.add_argument("--config", "-c", metavar="FILE", help="probe config YAML")
    p.add_argument("--suites", metavar="LIST", help="comma-separated subset: task,shift,general,knowledge,format")
    p.add_argument("--format", "-f", choices=("md", "json", "text"), default="md", help="output format (default md)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of this config (finished calls come from the cache)")
    p.add_argument("--fail-on", choices=("regression", "errors"), action="append", default=[],
                   help="exit 1 on any suite regression, or on any errored case; repeatable")
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
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
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
    from advisor.core.probe.report import models_that_never_answered
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
    cfg = load_config(args.config)
    suites = None
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
            use_cache=not args.no_cache, resume=args.resume, budget_usd=args.budget_usd,
            on_wait=lambda msg: print(f"advisor: {clean_terminal(msg)}", file=sys.stderr, flush=True),
        ))
    finally:
        stop = getattr(progress, "stop", None)
        if stop:
            stop()

    if args.format == "json":
        text = to_json(report)
    elif args.format == "md":
        text = render_markdown(report)
    else:
        text = render_text(report)
    emit(text, args.output)
    for w in report.get("warnings") or []:
        print(f"advisor: warning: {clean_terminal(str(w))}", file=sys.stderr)
    if report.get("cost_note"):
        print(f"advisor: note: {clean_terminal(str(report['cost_note']))}", file=sys.stderr)

    dead = models_that_never_answered(report)
    if dead:
        arm, why = next(iter(dead.items()))
        raise UserError(
            f"every request to the {' and '.join(dead)} model failed, so there is nothing to compare; "
            f"first error ({arm}): {why.rstrip('.')}. Check the model names, api_base and the provider's API key in the "
            "environment, then run again (answers that did arrive are cached).",
            file=args.config,
        )
    failed = []
    if "regression" in args.fail_on:
        reg = [s["id"] for s in report["suites"] if s.get("verdict") == "regression"]
        if reg:
            failed.append("regression in " + ", ".join(reg))
    if "errors" in args.fail_on and report["run"]["errors"]:
        failed.append(f"{report['run']['errors']} request(s) ended in errors")
    if failed:
        raise GateFailed("; ".join(failed))
    return 0
