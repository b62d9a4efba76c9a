"""Deterministic perturbations for the shift suite.

Each one imitates a way real inputs differ from a clean eval set: typing
mistakes, inconsistent capitalisation, sloppy punctuation and spacing, shorter
inputs and irrelevant chatter. The same text, perturbation and seed always give
the same output, so a shift score is reproducible and both models see exactly
the same shifted inputs (the comparison stays paired).
"""

from __future__ import annotations

import hashlib
import random
import re

DISTRACTORS = (
    "By the way, the weather here has been lovely this week.",
    "I am writing this on my phone, sorry for any mistakes.",
    "My colleague asked me to send this one along.",
    "Unrelated, but the coffee machine on our floor is broken again.",
    "Thanks in advance, I know you are busy.",
)
_FILLER = {"please", "kindly", "just", "really", "the", "a", "an"}


def _rng(text: str, name: str, seed: int) -> random.Random:
    # Seeded from the text itself, so adding or reordering cases never changes
    # how any other case is perturbed.
    digest = hashlib.sha256(f"{seed}\x00{name}\x00{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def typos(text: str, rng: random.Random) -> str:
    """Swap two inner letters in about one word in five (at least one word of 4+ letters)."""
    words = text.split(" ")
    eligible = [i for i, w in enumerate(words) if len(w) >= 4 and w[1:-1].isalpha()]
    if not eligible:
        return text
    count = max(1, len(eligible) // 5)
    for i in rng.sample(eligible, count):
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def case(text: str, rng: random.Random) -> str:
    """All lower case when the text has capitals, else all upper case."""
    return text.lower() if any(c.isupper() for c in text) else text.upper()


def punct_spacing(text: str, rng: random.Random) -> str:
    """Drop sentence-final punctuation, add a space before some commas, double some spaces."""
    out = re.sub(r"[.?!]+(\s|$)", r"\1", text).rstrip()
    out = out.replace(", ", " , ")
    words = out.split(" ")
    for i in range(1, len(words)):
        if rng.random() < 0.25:
            words[i] = " " + words[i]
    return "  " + " ".join(words) + " "


def truncate(text: str, rng: random.Random) -> str:
    """Shorter input: drop filler words; inputs of 12+ words also lose their last quarter."""
    words = text.split()
    if len(words) >= 12:
        words = words[: len(words) - len(words) // 4]
    kept = [w for w in words if w.lower() not in _FILLER]
    return " ".join(kept or words)


def distractor(text: str, rng: random.Random) -> str:
    """Add one irrelevant sentence before or after the input."""
    extra = rng.choice(DISTRACTORS)
    return f"{extra} {text}" if rng.random() < 0.5 else f"{text} {extra}"


FUNCS = {"typos": typos, "case": case, "punct_spacing": punct_spacing, "truncate": truncate, "distractor": distractor}


def perturb(text: str, name: str, seed: int = 0) -> str:
    """Apply one named perturbation deterministically.

    Args:
        text: the original input.
        name: one of ``typos``, ``case``, ``punct_spacing``, ``truncate``, ``distractor``.
        seed: changes the random choices (which words get typos, where the distractor goes).

    Returns:
        The perturbed text.
    """
    return FUNCS[name](text, _rng(text, name, seed))


PARAPHRASE_SYSTEM = (
    "Rewrite the user's message with different wording but exactly the same meaning and the same "
    "facts. Reply with the rewritten message only."
)


def paraphrase_messages(text: str) -> list[dict[str, str]]:
    """Messages asking a model for one paraphrase of ``text``."""
    return [{"role": "system", "content": PARAPHRASE_SYSTEM}, {"role": "user", "content": text}]
