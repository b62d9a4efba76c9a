"""Errors a user can act on, and the exit codes of docs/formats.md section 5.

Anything raised as :class:`UserError` reaches the terminal as one clear
message (file, line or key, what was expected) and exit status 2, never as a
traceback. Code that reads user files raises it; the CLI catches it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """Bad input or usage, explained in words the user can act on.

    Args:
        message: what is wrong and what was expected.
        file: the file the problem is in, if any.
        line: 1-based line in that file, if known.
        column: 1-based column, if known.
        key: dotted key path inside the file, if relevant.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"key '{self.key}': " if self.key else ""
        return f"{where}{key}{self.message}"


class GateFailed(Exception):
    """A ``--fail-on`` condition held (exit status 1)."""
