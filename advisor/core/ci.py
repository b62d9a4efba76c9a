"""Output for CI: GitHub workflow annotations and a short markdown summary.

``--format github`` prints workflow commands (``::error``, ``::warning``,
``::notice``) that GitHub Actions turns into annotations on the run and, with a
``file=``, on the file; ``--format markdown`` prints markdown made for
``$GITHUB_STEP_SUMMARY`` (no front matter, a table a reviewer reads at a glance).
Both read the same JSON objects as the other formats (docs/formats.md), so
they say nothing the JSON does not.
"""

from __future__ import annotations

from typing import Any, Optional

#: The decide summary lists this many single-answer changes; the rest are counted.
SUMMARY_CHANGES = 5


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF encoded as GitHub's runner expects."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``title=``, ``file=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, *, title: Optional[str] = None, file: Optional[str] = None,
            line: Optional[int] = None) -> str:
    """One workflow command line, e.g. ``::warning file=a.yaml,line=3,title=...::message``."""
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={int(line)}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- decide -------------------------------------------------------------------

def decision_github(assessment: Any, kb: Any, *, answers_file: Optional[str] = None) -> str:
    """Annotations for a decision: one notice with the advice, a warning per blocker."""
    from advisor.core.decide import verdict_reason

    a = assessment
    name = kb.option(a.primary).name
    lines = [command(
        "notice",
        f"Recommendation: {name}. Fine-tuning: {a.verdict} ({verdict_reason(a)}). "
        f"Confidence {a.confidence_label} ({a.confidence:.2f}); {len(a.unknowns)} open question(s).",
        title="advisor decide", file=answers_file,
    )]
    for b in a.blockers:
        lines.append(command("warning", f"{b.text} Fix: {b.fix}", title=f"Fine-tuning blocker: {b.check}",
                             file=answers_file))
    return "\n".join(lines) + "\n"


def decision_markdown(assessment: Any, kb: Any) -> str:
    """A step summary: the advice, the ranking, blockers, open questions and what would change it."""
    from advisor.core.decide import verdict_reason

    a = assessment
    desc = a.answers.task.description or "(no task description given)"
    out = [
        f"## advisor decide: {_md(kb.option(a.primary).name)}",
        "",
        f"**Job:** {_md(desc)}",
        "",
        f"**Fine-tuning:** `{a.verdict}`: {_md(verdict_reason(a))}. "
        f"**Confidence:** {a.confidence_label} ({a.confidence:.2f}).",
        "",
        "| lever | score | rules that moved it |",
        "|---|---:|---|",
    ]
    for o in a.options:
        rules = ", ".join(f"`{r.rule}` {r.weight:+g}" for r in o.reasons[:3])
        if len(o.reasons) > 3:
            rules += f" and {len(o.reasons) - 3} more"
        out.append(f"| {_md(o.name)} | {o.score:+g} | {rules or '-'} |")
    out.append("")
    if a.blockers:
        out += ["### Blockers to fine-tuning", ""]
        out += [f"- **{_md(b.check)}**: {_md(b.text)} Fix: {_md(b.fix)}" for b in a.blockers]
        out.append("")
    if a.unknowns:
        out += [f"### Open questions ({len(a.unknowns)})", ""]
        out += [f"- {_md(u.prompt)}" for u in a.unknowns]
        out.append("")
    if a.counterfactuals:
        out += ["### What would change this", ""]
        shown = a.counterfactuals[:SUMMARY_CHANGES]
        out += [f"- {_md(c.text)}" for c in shown]
        if len(a.counterfactuals) > len(shown):
            out.append(f"- and {len(a.counterfactuals) - len(shown)} more (the decision record lists them all)")
        out.append("")
    return "\n".join(out)


# -- triage -------------------------------------------------------------------

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _where(where: str) -> tuple[Optional[str], Optional[int]]:
    """``train.jsonl:12`` -> (file, 12); ``log.json step 300`` -> (file, None); ``--lr`` -> (None, None)."""
    if not where or where.startswith("-"):
        return None, None
    head = where.split(" ", 1)[0]
    file, _, line = head.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return head, None


def triage_github(data: dict[str, Any]) -> str:
    """Annotations for a triage: the most likely cause, then each finding at its file and line."""
    lines = []
    causes = data.get("causes") or []
    if causes:
        c = causes[0]
        first = (c.get("first_checks") or [""])[0]
        lines.append(command(
            "notice", f"Most likely cause: {c.get('title') or c['id']} (confidence {c.get('confidence', 0):.2f})."
            + (f" First check: {first}" if first else ""), title="advisor triage"))
    else:
        lines.append(command("notice", "No cause stands out from the inputs given.", title="advisor triage"))
    for f in data.get("findings") or []:
        file, line = _where(str(f.get("where") or ""))
        lines.append(command(_LEVEL.get(f.get("severity"), "notice"), str(f.get("detail") or f["id"]),
                             title=f"triage: {f['id']}", file=file, line=line))
    return "\n".join(lines) + "\n"


# -- probe --------------------------------------------------------------------

def probe_github(data: dict[str, Any]) -> str:
    """Annotations for a probe run: an error per regression, a notice per other suite, warnings."""
    lines = []
    for s in data.get("suites") or []:
        ci = s.get("ci95")
        interval = f" (95% CI {ci[0]:+.3f} to {ci[1]:+.3f})" if ci and None not in ci else ""
        delta = s.get("delta")
        what = f"candidate minus base {delta:+.3f}{interval} over {s.get('n', 0)} paired cases" if delta is not None \
            else "no paired cases"
        level = "error" if s.get("verdict") == "regression" else "notice"
        lines.append(command(level, f"{s['id']}: {s.get('verdict')}, {what}.", title=f"probe {s['id']}"))
        for w in s.get("warnings") or []:
            lines.append(command("warning", w, title=f"probe {s['id']}"))
    for w in data.get("warnings") or []:
        lines.append(command("warning", w, title="advisor probe"))
    return "\n".join(lines) + "\n"
