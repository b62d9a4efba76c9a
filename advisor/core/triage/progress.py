"""How long triage work reports how far it got (the dataset checks: 100k examples take seconds).

The same small Protocol as the probe runner's: the CLI implements it with a
rich bar on standard error, the TUI with its status line, CI and tests with
:class:`SilentProgress`. The core only calls these three methods.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Where a long triage step reports progress."""

    def start(self, total: int, description: str = "") -> None:
        """A phase begins; ``total`` is in the phase's own unit (characters of a file)."""

    def update(self, n: int = 1) -> None:
        """``n`` more units are done."""

    def complete(self) -> None:
        """The phase ended."""


class SilentProgress:
    """Progress that shows nothing (CI, pipes, tests); it still counts, for whoever asks."""

    def __init__(self) -> None:
        self.total, self.done, self.phases = 0, 0, []

    def start(self, total: int, description: str = "") -> None:  # noqa: D102
        self.total, self.done = total, 0
        self.phases.append(description)

    def update(self, n: int = 1) -> None:  # noqa: D102
        self.done += n

    def complete(self) -> None:  # noqa: D102
        self.done = self.total
