"""``advisor decide``: answers file -> recommendation, as a record or JSON."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decide",
        help="recommend a lever from an answers file (no screen; for scripts and CI)",
        description="Read an answers file (see `advisor init`) and print the recommendation "
        "as a markdown decision record, JSON (docs/formats.md section 2) or a short text summary.",
    )
    p.add_argument("--answers", "-a", required=True, metavar="FILE", help="answers YAML file (- for standard input)")
    p.add_argument("--format", "-f", choices=("md", "json", "text"), default="md", help="output format (default md)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.add_argument("--triage", metavar="FILE", help="embed an `advisor triage --format json` result in the record")
    p.add_argument("--evidence", metavar="FILE", help="use and embed an `advisor probe --format json` result")
    p.add_argument("--knowledge", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--date", metavar="YYYY-MM-DD", help="date for the record (default today)")
    p.add_argument(
        "--fail-on",
        choices=("not_recommended", "not_yet", "blockers"),
        action="append",
        default=[],
        help="exit 1 if the verdict is this (or any blocker fails); repeatable",
    )


def load_json_file(path: str, kind: str) -> dict:
    """Read a JSON report produced by another advisor command and check its shape.

    ``kind`` is ``triage`` or ``probe``; a file of the wrong kind (an answers file,
    the other report) or a hand edit with a wrong value is refused naming the
    key (:func:`advisor.core.reports.load_report`), not rendered half-empty.
    """
    from advisor.core.reports import load_report

    return load_report(path, kind)


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    from advisor.core.answers import load_answers
    from advisor.core.decide import decide
    from advisor.commands import emit
    from advisor.core.knowledge import load_knowledge
    from advisor.core.record import render_json, render_markdown
    from advisor.errors import GateFailed, UserError

    kb = load_knowledge(args.knowledge)
    if args.answers == "-":
        from advisor.core.answers import parse_answers

        from advisor.core.io import LIMITS, read_stdin

        answers = parse_answers(read_stdin(limit=LIMITS["answers"], what="an answers file"), file="<stdin>")
    else:
        answers = load_answers(args.answers)
    triage = load_json_file(args.triage, "triage") if args.triage else None
    evidence = load_json_file(args.evidence, "probe") if args.evidence else None
    facts = None
    if evidence is not None:
        from advisor.core.probe import evidence_facts

        facts = evidence_facts(evidence)
    date = None
    if args.date:
        try:
            date = dt.date.fromisoformat(args.date)
        except ValueError:
            raise UserError(f"--date: expected YYYY-MM-DD, got {args.date!r}") from None
    assessment = decide(answers, kb, evidence=facts)

    if args.format == "json":
        text = render_json(assessment, triage=triage, evidence=evidence)
    elif args.format == "md":
        text = render_markdown(assessment, kb, date=date, triage=triage, evidence=evidence)
    else:
        text = summary_text(assessment)
    emit(text, args.output)

    failed = []
    if "not_recommended" in args.fail_on and assessment.verdict == "not_recommended":
        failed.append("verdict is not_recommended")
    if "not_yet" in args.fail_on and assessment.verdict == "not_yet":
        failed.append("verdict is not_yet")
    if "blockers" in args.fail_on and assessment.blockers:
        failed.append(f"{len(assessment.blockers)} blocker(s): {', '.join(b.id for b in assessment.blockers)}")
    if failed:
        raise GateFailed("; ".join(failed))
    return 0


#: The terminal summary shows the nearest counterfactuals; the record keeps all of them.
TEXT_COUNTERFACTUALS = 6


def summary_text(a) -> str:  # noqa: ANN001 - Assessment, imported lazily
    """A short plain-text summary (for terminals and logs)."""
    lines = [
        f"primary: {a.primary}",
        f"verdict: {a.verdict}",
        f"confidence: {a.confidence_label} ({a.confidence:.2f})",
    ]
    if a.fine_tune_method:
        lines.append(f"fine-tune method: {a.fine_tune_method}")
    lines.append(f"plan: {a.plan.summary}")
    for s in a.plan.steps:
        lines.append(f"  {s.order}. {s.title} [{s.lever}, {s.role}]")
        lines.append(f"     go/no-go: {s.go_no_go.threshold}")
    for g in a.gates:
        lines.append(f"gate: {g.id} holds {g.lever}: {g.title}")
    if a.plan.kill_criterion:
        lines.append(f"kill criterion: {a.plan.kill_criterion}")
    lines.append("ranking:")
    for o in a.options:
        lines.append(f"  {o.score:>6g}  {o.id}")
        for r in o.reasons[:3]:
            lines.append(f"          {r.weight:+g} {r.rule}")
    if a.blockers:
        lines.append("blockers:")
        lines += [f"  {b.id}: {b.fix}" for b in a.blockers]
    if a.unknowns:
        lines.append("unknowns: " + ", ".join(u.key for u in a.unknowns))
    if a.counterfactuals:
        lines.append("what would change this:")
        shown = a.counterfactuals[:TEXT_COUNTERFACTUALS]
        lines += [f"  {c.text}" for c in shown]
        if len(a.counterfactuals) > len(shown):
            lines.append(f"  ... and {len(a.counterfactuals) - len(shown)} more single-answer changes "
                         "(--format md lists them all)")
    return "\n".join(lines) + "\n"
