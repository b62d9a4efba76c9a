"""Allow ``python -m advisor``."""

from advisor.cli import entry

entry()
