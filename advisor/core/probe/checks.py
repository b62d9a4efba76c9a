"""Two checks on the answers themselves, said before any number (docs/probe.md, "Answer checks").

* ``candidate_is_base``: the candidate's answers equal the base's on (nearly)
  every case. The usual causes: the adapter was not loaded, or the endpoint
  serves the base model under the candidate's name. Every difference measured
  is then noise.
* ``template_mismatch``: many candidate answers are empty, cut off at
  ``max_tokens``, or carry chat-template tokens (``<|im_start|>``, ``[INST]``,
  ``<start_of_turn>``, ...). The serving chat template probably differs from
  the one used in training, and the scores measure the template, not the model.

Pure functions over answer texts; the engine calls :func:`answer_checks`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

#: Share of cases with identical answers from which the candidate is taken for the base.
SAME_SHARE = 0.98
#: Fewest paired answers before either check speaks.
MIN_CASES = 10
#: Share of bad candidate answers (beyond the base's own share) that flags a template mismatch.
BAD_SHARE = 0.10

TEMPLATE_TOKENS = re.compile(
    r"<\|im_start\|>|<\|im_end\|>|\[/?INST\]|<<SYS>>|<start_of_turn>|<end_of_turn>|<\|eot_id\|>"
    r"|<\|start_header_id\|>|<\|end_header_id\|>|<\|endoftext\|>|<\|assistant\|>|<\|user\|>|<\|system\|>"
)


@dataclass
class Answer:
    """One arm's answer to one case (None content: the request failed)."""

    content: Optional[str]
    completion_tokens: int = 0


def _bad(a: Answer, max_tokens: int) -> Optional[str]:
    text = a.content or ""
    if not text.strip():
        return "empty"
    if TEMPLATE_TOKENS.search(text):
        return "template tokens"
    if max_tokens and a.completion_tokens >= max_tokens:
        return "cut off at max_tokens"
    return None


def answer_checks(pairs: list[tuple[Answer, Answer]], *, max_tokens: int) -> list[dict[str, Any]]:
    """The checks that fire on these (base, candidate) answers, most serious first.

    Args:
        pairs: one (base, candidate) answer per case; failed requests are skipped.
        max_tokens: the run's locked max_tokens (an answer that used all of them was cut off).

    Returns:
        ``[{"id", "message", "cases", "of"}]``; empty when nothing looks wrong.
    """
    both = [(b, c) for b, c in pairs if b.content is not None and c.content is not None]
    out: list[dict[str, Any]] = []
    if len(both) < MIN_CASES:
        return out
    same = sum(1 for b, c in both if b.content.strip() == c.content.strip())  # type: ignore[union-attr]
    if same >= SAME_SHARE * len(both):
        out.append({
            "id": "candidate_is_base", "cases": same, "of": len(both),
            "message": (f"the candidate's answers equal the base's on {same} of {len(both)} cases: the adapter was "
                        "probably not loaded, or the endpoint serves the base model under the candidate's name; "
                        "every difference below is noise until this is fixed"),
        })
    kinds: dict[str, int] = {}
    for _, c in both:
        why = _bad(c, max_tokens)
        if why:
            kinds[why] = kinds.get(why, 0) + 1
    bad_c = sum(kinds.values())
    bad_b = sum(1 for b, _ in both if _bad(b, max_tokens))
    if bad_c >= 3 and bad_c >= BAD_SHARE * len(both) and bad_c - bad_b >= BAD_SHARE / 2 * len(both):
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        out.append({
            "id": "template_mismatch", "cases": bad_c, "of": len(both),
            "message": (f"{bad_c} of {len(both)} candidate answers look broken ({detail}; the base: {bad_b}): the "
                        "serving chat template probably differs from the one used in training (check the "
                        "tokenizer's chat_template and the server's template flag)"),
        })
    return out
