"""``advisor interview``: the interview, full-screen (default) or as plain prompts (``--plain``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interview",
        help="answer the questions and get a decision record (full-screen, or --plain prompts)",
        description="Ask the interview's questions (from knowledge/questions.yaml) and leave with a "
        "decision record. Answers autosave after every answer; --resume continues the last session.",
    )
    p.add_argument("--plain", action="store_true", help="plain prompts instead of the full-screen app (good over ssh)")
    p.add_argument("--answers-out", metavar="FILE", help="also write the answers file (docs/formats.md section 1) here")
    p.add_argument("-o", "--output", metavar="RECORD", help="write the decision record here (.json for JSON, else markdown)")
    p.add_argument("--resume", action="store_true", help="continue the most recent saved session")


def run(args: argparse.Namespace) -> int:
    answers_out = Path(args.answers_out).expanduser().resolve() if args.answers_out else None
    record_out = Path(args.output).expanduser().resolve() if args.output else None
    if args.plain:
        from advisor.core.knowledge import cached_knowledge
        import os

        from advisor.prompt.interview import LinePrompter, QuestionaryPrompter, require_terminal, run_plain
        from advisor.interview.session import SessionStore

        require_terminal()
        # A dumb terminal cannot move the cursor: questions a line at a time, no escape codes.
        prompter = LinePrompter() if os.environ.get("TERM", "") == "dumb" else QuestionaryPrompter()
        run_plain(cached_knowledge(), prompter, store=SessionStore(), resume=args.resume,
                  answers_out=answers_out, record_out=record_out)
        return 0
    from advisor.commands.term import require_app_terminal
    from advisor.tui.app import create_app

    require_app_terminal()
    app = create_app(start="interview", resume=args.resume, answers_out=answers_out, record_out=record_out)
    app.run()
    return app.return_code or 0
