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
    p.add_argument("--format", "-f", choices=("md", "json", "text", "markdown", "github"), default="md",
                   help="output format: md (the decision record, default), json, text (a short summary), "
                        "markdown (a summary for $GITHUB_STEP_SUMMARY), github (workflow annotations)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (atomically) instead of standard output; an existing FILE needs --force")
    p.add_argument("--force", action="store_true", help="let -o replace an existing file")
    p.add_argument("--save", action="store_true",
                   help="add the markdown record to the decisions folder as the next NNNN-slug.md and update its index")
    p.add_argument("--decisions", metavar="DIR",
                   help="the decisions folder for --save (default $ADVISOR_DECISIONS_DIR or docs/decisions; implies --save)")
    p.add_argument("--supersedes", metavar="NNNN", action="append", default=[],
                   help="with --save: mark this earlier record superseded by the new one (repeatable; "
                        "'same-job' for every active record on the same job)")
    p.add_argument("--triage", metavar="FILE", help="embed an `advisor triage --format json` result in the record")
    p.add_argument("--evidence", metavar="FILE", help="use and embed an `advisor probe --format json` result")
    p.add_argument("--knowledge", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--date", metavar="YYYY-MM-DD", help="date for the record (default today)")
    p.add_argument("--min-delta", type=float, metavar="X",
                   help="smallest gain worth acting on, as a share (0.05 = 5 points); sizes the record's "
                   "confirmation test (default: answers task.min_delta, else a default per task type)")
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
    if args.min_delta is not None and not 0 < args.min_delta <= 1:
        raise UserError(f"--min-delta: expected a share in (0, 1], e.g. 0.05 for 5 points; got {args.min_delta:g}")
    assessment = decide(answers, kb, evidence=facts, min_delta=args.min_delta)
    save = args.save or bool(args.decisions)
    if args.supersedes and not save:
        raise UserError("--supersedes needs --save (or --decisions DIR)")
    if args.output:
        from advisor.core.decisions import refuse_overwrite

        refuse_overwrite(args.output, force=args.force, hint=", or --save to add a numbered record to the decisions folder")
    if save:
        _save_record(args, render_markdown(assessment, kb, date=date, triage=triage, evidence=evidence),
                     answers.task.description)
        if args.format == "md" and not args.output:
            return _gate(args, assessment)

    if args.format == "json":
        text = render_json(assessment, triage=triage, evidence=evidence)
    elif args.format == "md":
        text = render_markdown(assessment, kb, date=date, triage=triage, evidence=evidence)
    elif args.format == "markdown":
        from advisor.core.ci import decision_markdown

        text = decision_markdown(assessment, kb)
    elif args.format == "github":
        from advisor.core.ci import decision_github

        from advisor.core.io import clean_terminal

        text = clean_terminal(decision_github(assessment, kb, answers_file=None if args.answers == "-" else args.answers))
    else:
        text = summary_text(assessment)
    emit(text, args.output)
    return _gate(args, assessment)


def _save_record(args: argparse.Namespace, markdown: str, description) -> None:  # noqa: ANN001
    import sys

    from advisor.core import decisions
    from advisor.errors import UserError

    folder = decisions.folder_for(args.decisions)
    same = decisions.find_same_job(folder, description)
    chosen = []
    for want in args.supersedes:
        if want == "same-job":
            chosen += [r for r in same if r not in chosen]
            continue
        if not want.isdigit():
            raise UserError(f"--supersedes: expected a record number such as 0003 or 'same-job', got {want!r}")
        match = [r for r in decisions.list_records(folder) if r.number == int(want)]
        if not match:
            raise UserError(f"--supersedes: no record numbered {int(want):04d}", file=str(folder))
        if not match[0].active:
            raise UserError(f"--supersedes: {match[0].path.name} is already superseded ({match[0].status})")
        chosen += [m for m in match if m not in chosen]
    if "same-job" in args.supersedes and decisions.job_id(description) is None:
        print("advisor: note: the answers have no task.description, so no earlier record can be matched as the "
              "same job; --supersedes NNNN names one", file=sys.stderr)
    saved = decisions.save_record(markdown, folder=folder, description=description, supersede=chosen)
    print(f"advisor: wrote {saved.path}" + (f" and updated {saved.index}" if saved.index else ""), file=sys.stderr)
    for p in saved.superseded:
        print(f"advisor: marked {p} superseded by {saved.path.name}", file=sys.stderr)
    if saved.note:
        print(f"advisor: note: {saved.note}", file=sys.stderr)
    left = [r for r in same if r not in chosen]
    if left:
        names = ", ".join(r.path.name for r in left)
        one = len(left) == 1
        print(f"advisor: note: {names} {'decides' if one else 'decide'} the same job and "
              f"{'stays' if one else 'stay'} as {'it is' if one else 'they are'}; "
              f"--supersedes {left[0].number:04d} (or same-job) marks them superseded by the new record",
              file=sys.stderr)


def _gate(args: argparse.Namespace, assessment) -> int:  # noqa: ANN001
    from advisor.errors import GateFailed

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
#: ... and the strongest rules per option.
TEXT_REASONS = 3


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
        for r in o.reasons[:TEXT_REASONS]:
            lines.append(f"          {r.weight:+g} {r.rule}")
        if len(o.reasons) > TEXT_REASONS:
            lines.append(f"          ... and {len(o.reasons) - TEXT_REASONS} more rules (--format md lists them all)")
    if a.blockers:
        lines.append("blockers:")
        lines += [f"  {b.id}: {b.fix}" for b in a.blockers]
    if a.unknowns:
        lines.append("unknowns: " + ", ".join(u.key for u in a.unknowns))
    if a.not_asked:
        lines.append("not asked (the branching skips them; not unknowns): " + ", ".join(n.key for n in a.not_asked))
    if a.counterfactuals:
        lines.append("what would change this:")
        shown = a.counterfactuals[:TEXT_COUNTERFACTUALS]
        lines += [f"  {c.text}" for c in shown]
        if len(a.counterfactuals) > len(shown):
            lines.append(f"  ... and {len(a.counterfactuals) - len(shown)} more single-answer changes "
                         "(--format md lists them all)")
    return "\n".join(lines) + "\n"
