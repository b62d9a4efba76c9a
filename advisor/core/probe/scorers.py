"""Deterministic scorers: an answer and an expected value in, 0.0 or 1.0 out.

The LLM judge is not here: it needs a model call, so the runner asks the
judge model with :func:`judge_messages` and reads the verdict with
:func:`parse_judge`. Its scores are always labelled judge-scored.
"""

from __future__ import annotations

import json
import math
import re
import string
from typing import Any, Optional

_PUNCT = str.maketrans({c: " " for c in string.punctuation})
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.S)

DETERMINISTIC = ("exact", "normalized", "contains", "regex", "choice", "numeric", "json_valid", "json_schema")


def normalize(text: str) -> str:
    """Lower-case, punctuation to spaces, whitespace collapsed (for ``normalized`` and ``contains``)."""
    return " ".join(text.lower().translate(_PUNCT).split())


def parse_number(text: str) -> Optional[float]:
    """The last number in ``text`` ("The answer is 1,234.5." -> 1234.5), or None.

    The last number, because models that explain themselves put the result at the end.
    """
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:  # pragma: no cover - the regex admits only numbers
        return None


def strip_fence(text: str) -> str:
    """Remove one surrounding markdown code fence, which many models add around JSON."""
    m = _FENCE.match(text)
    return m.group(1) if m else text.strip()


def parse_json(text: str) -> tuple[bool, Any]:
    """(True, value) if ``text`` (fence allowed) is one JSON document, else (False, None)."""
    try:
        return True, json.loads(strip_fence(text))
    except (ValueError, TypeError, RecursionError):  # a reply nested thousands deep is not a usable answer
        return False, None


def pick_choice(output: str, choices: list[str], *, ignore_case: bool = True) -> Optional[str]:
    """The single choice named in ``output`` (whole word), or None if none or several are named."""
    flags = re.I if ignore_case else 0
    named = [c for c in choices if re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", output, flags)]
    # A longer choice that contains a shorter one ("not urgent" vs "urgent") wins alone.
    named = [c for c in named if not any(c != o and c.lower() in o.lower() for o in named)]
    return named[0] if len(named) == 1 else None


def score(
    kind: str,
    output: str,
    expected: str = "",
    *,
    tolerance: float = 0.0,
    rel_tolerance: float = 0.0,
    choices: Optional[list[str]] = None,
    pattern: Optional[str] = None,
    ignore_case: bool = True,
    schema: Optional[dict] = None,
) -> float:
    """Score one answer.

    Args:
        kind: one of :data:`DETERMINISTIC`.
        output: the model's answer.
        expected: the expected answer (a pattern for ``regex`` when ``pattern`` is None).
        tolerance: ``numeric``: absolute tolerance.
        rel_tolerance: ``numeric``: tolerance as a fraction of ``|expected|``.
        choices: ``choice``: the allowed answers.
        pattern: ``regex``: the pattern, if not the expected value.
        ignore_case: ``regex``, ``choice``, ``contains``: ignore letter case.
        schema: ``json_schema``: the JSON Schema.

    Returns:
        1.0 for a pass, 0.0 for a fail.
    """
    out = output or ""
    if kind == "exact":
        return float(out.strip() == expected.strip())
    if kind == "normalized":
        return float(normalize(out) == normalize(expected))
    if kind == "contains":
        if ignore_case:
            return float(normalize(expected) in normalize(out)) if normalize(expected) else 0.0
        return float(expected in out)
    if kind == "regex":
        pat = pattern if pattern is not None else expected
        return float(re.search(pat, out, re.I if ignore_case else 0) is not None)
    if kind == "choice":
        opts = choices or []
        picked = pick_choice(out, opts, ignore_case=ignore_case)
        if picked is None:
            return 0.0
        return float(picked.lower() == expected.strip().lower() if ignore_case else picked == expected.strip())
    if kind == "numeric":
        got, want = parse_number(out), parse_number(expected)
        if got is None or want is None:
            return 0.0
        allowed = max(tolerance, rel_tolerance * abs(want))
        return float(math.isclose(got, want, rel_tol=0, abs_tol=allowed) or abs(got - want) <= allowed)
    if kind == "json_valid":
        return float(parse_json(out)[0])
    if kind == "json_schema":
        ok, value = parse_json(out)
        if not ok:
            return 0.0
        import jsonschema  # only this scorer needs it

        validator = jsonschema.validators.validator_for(schema or {})(schema or {})
        return float(validator.is_valid(value))
    raise ValueError(f"unknown scorer {kind!r}")


def check_regex(pattern: str) -> Optional[str]:
    """The compile error of ``pattern``, or None when it is a valid regex."""
    try:
        re.compile(pattern)
    except re.error as e:
        return str(e)
    return None


JUDGE_SYSTEM = (
    "You grade one answer against a rubric. Reply with exactly one word: PASS if the answer "
    "meets the rubric, FAIL if it does not."
)


def judge_messages(rubric: str, question: str, answer: str, expected: str = "") -> list[dict[str, str]]:
    """The chat messages that ask a judge model to grade one answer."""
    body = f"Rubric:\n{rubric}\n\nQuestion:\n{question}\n\n"
    if expected:
        body += f"Reference answer:\n{expected}\n\n"
    body += f"Answer to grade:\n{answer}\n\nVerdict (PASS or FAIL):"
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": body}]


def parse_judge(text: str) -> Optional[float]:
    """1.0 for PASS, 0.0 for FAIL, None when the judge said neither (counted as an error)."""
    words = re.findall(r"[A-Za-z]+", text or "")
    up = [w.upper() for w in words]
    has_pass, has_fail = "PASS" in up, "FAIL" in up
    if has_pass == has_fail:
        return None
    return 1.0 if has_pass else 0.0
