"""Keep credentials out of everything advisor writes or shows.

Provider errors sometimes echo request details (a proxy that repeats the
``Authorization`` header, an "incorrect API key: ..." message). Every error
text that reaches a report, the cache, a log or the screen goes through
:func:`redact` first. Three patterns, each needed on its own:

* the value of any environment variable whose name says it is a secret
  (contains KEY, TOKEN, SECRET or PASSWORD, any case) and is at least
  :data:`MIN_SECRET_LEN` characters long, whatever its shape (shorter values
  such as ``TOKENIZERS_PARALLELISM=false`` are settings, not secrets);
* anything shaped like an OpenAI/Anthropic-style key (``sk-`` and at least
  eight more key characters), even if it is in no variable;
* the credential after ``Bearer`` (an echoed ``Authorization`` header).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Optional

REDACTED = "[redacted]"
MIN_SECRET_LEN = 6
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.I)
_SK_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/\-]{8,}=*", re.I)


def secret_values(environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """The values of secret-looking variables in ``environ`` (default ``os.environ``), longest first."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if v and len(v) >= MIN_SECRET_LEN and _SECRET_NAME.search(k)}
    # longest first: a key that contains another key's value is replaced whole, not around it
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Optional[Mapping[str, str]] = None) -> str:
    """``text`` with every credential replaced by ``[redacted]`` (see the module docstring)."""
    for value in secret_values(environ):
        if value in text:
            text = text.replace(value, REDACTED)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _SK_KEY.sub(REDACTED, text)
