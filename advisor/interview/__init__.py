"""What the front ends share: the interview's order and branching, answer parsing, autosaved sessions.

The Textual app (:mod:`advisor.tui`) and the plain prompts (:mod:`advisor.prompt`)
are siblings: neither imports the other. Both drive
:class:`~advisor.interview.flow.Interview` and save through
:class:`~advisor.interview.session.SessionStore`, so they ask the same questions
the same way and can resume each other's sessions. Nothing here imports
textual, questionary or rich.
"""
