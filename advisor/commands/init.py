"""``advisor init``: write a commented answers template generated from the questions."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help="write a commented answers.yaml template to fill in",
        description="Write an answers file with every question as a comment. Uncomment and fill "
        "what you know; leave the rest: unknown answers are reported, never assumed.",
    )
    p.add_argument("file", nargs="?", default="answers.yaml", help="where to write it (default answers.yaml; - for stdout)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def template(kb) -> str:  # noqa: ANN001 - KnowledgeBase
    """The commented template text, one block per question, in interview order."""
    lines = [
        "# advisor answers file (docs/formats.md section 1).",
        "# Uncomment a key and fill in its value. Leave a key commented out if you",
        "# don't know: unknown answers lower confidence and are listed as open",
        "# questions; they never count as a favourable answer.",
        "# Then run: advisor decide --answers THIS_FILE",
    ]
    topics = {t.id: t for t in kb.topics}
    section = None
    last_topic = None
    for q in kb.questions:
        sec, _, field = q.key.partition(".")
        if q.topic != last_topic:
            lines += ["", f"# --- {topics[q.topic].title} " + "-" * max(3, 60 - len(topics[q.topic].title))]
            last_topic = q.topic
        if sec != section:
            lines.append(f"{sec}:")
            section = sec
        lines.append(f"  # {q.prompt}")
        lines.append(f"  #   {q.help}")
        if q.kind == "choice":
            for c in q.choices:
                lines.append(f"  #     {c.value}: {c.label}")
            example = q.choices[0].value
        elif q.kind == "bool":
            lines.append("  #     true or false")
            example = "true"
        elif q.kind in ("int", "float"):
            bounds = []
            if q.min is not None:
                bounds.append(f">= {q.min:g}")
            if q.max is not None:
                bounds.append(f"<= {q.max:g}")
            lines.append(f"  #     a number{' (' + ', '.join(bounds) + ')' if bounds else ''}")
            example = q.example or "0"
        else:
            example = f'"{q.example}"' if q.example else '""'
        if isinstance(example, str) and example in ("yes", "no"):
            example = f'"{example}"'  # quoted: YAML would read a bare yes/no as a boolean
        lines.append(f"  # {field}: {example}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from advisor.core.io import atomic_write
    from advisor.core.knowledge import load_knowledge
    from advisor.errors import UserError

    text = template(load_knowledge())
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    if Path(args.file).exists() and not args.force:
        raise UserError("already exists; pass --force to overwrite", file=args.file)
    atomic_write(args.file, text)
    print(f"advisor: wrote {args.file}; fill it in, then run: advisor decide --answers {args.file}", file=sys.stderr)
    return 0
