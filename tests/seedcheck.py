"""A fingerprint of the seed documents, so the "facts in our words" check runs without their text.

The seeds (the documents the knowledge comes from) live outside the repository
and are not copied into it. What is shipped is ``tests/data/seed_fingerprint.json``:
for each seed, the set of 64-bit hashes of its word 8-grams (lowercased runs of
letters and digits). A hash cannot be read back into the sentence, but any run
of eight words copied from a seed hashes to a member of the set.

Refresh it after the seeds change (where they are present)::

    .venv/bin/python -m tests.seedcheck --update
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Iterable, Optional

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINT = ROOT / "tests" / "data" / "seed_fingerprint.json"
N = 8
#: Where the seeds may be: beside the repository (as CI lays it out), or the shared folder here.
SEED_DIRS = (ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds"))
#: Text we wrote in our own words: playbooks (the triage runbook, probe sets), docs, the README.
OUR_TEXT = ("playbooks/**/*.yaml", "docs/**/*.md", "README.md")
#: Files whose job is to quote the seeds' section titles next to what each one supports.
CITING = ("docs/traceability.md",)
#: A citation names a seed's section by its title; quoting a title is citing, not copying.
_CITATION = re.compile(r"""section:\s*("[^"]*"|'[^']*'|[^,}\n]*)""")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def gram_hash(gram: str) -> str:
    return hashlib.blake2b(gram.encode(), digest_size=8).hexdigest()


def grams(text: str, n: int = N) -> dict[str, str]:
    """hash -> the n-gram it came from, for every run of ``n`` words in ``text``."""
    w = words(text)
    return {gram_hash(g): g for g in (" ".join(w[i:i + n]) for i in range(len(w) - n + 1))}


def seed_dir() -> Optional[Path]:
    return next((d for d in SEED_DIRS if d.is_dir() and any(d.glob("*.txt"))), None)


def fingerprint_of(seed_files: Iterable[Path]) -> dict:
    return {
        "n": N,
        "hash": "blake2b-64 of the space-joined lowercased words",
        "seeds": {p.name: sorted(grams(p.read_text(encoding="utf-8"))) for p in sorted(seed_files)},
    }


def load_fingerprint() -> dict:
    return json.loads(FINGERPRINT.read_text(encoding="utf-8"))


def our_files() -> list[Path]:
    out: list[Path] = []
    for pattern in OUR_TEXT:
        out += sorted(p for p in ROOT.glob(pattern) if p.is_file() and p.relative_to(ROOT).as_posix() not in CITING)
    return out


def copied_runs(fp: dict, files: Iterable[Path]) -> list[str]:
    """``file: seed: "eight words"`` for every seed 8-gram found in ``files``."""
    seeds = {name: set(hashes) for name, hashes in fp["seeds"].items()}
    found = []
    for f in files:
        text = _CITATION.sub("section: ", f.read_text(encoding="utf-8"))
        for h, gram in grams(text, fp["n"]).items():
            for name, hashes in seeds.items():
                if h in hashes:
                    found.append(f'{f.relative_to(ROOT)}: {name}: "{gram}"')
    return found


if __name__ == "__main__":  # pragma: no cover - maintenance
    if "--update" not in sys.argv:
        sys.exit(__doc__)
    d = seed_dir()
    if d is None:
        sys.exit("no seed documents found in " + ", ".join(map(str, SEED_DIRS)))
    FINGERPRINT.write_text(json.dumps(fingerprint_of(d.glob("*.txt")), indent=0) + "\n", encoding="utf-8")
    print(f"wrote {FINGERPRINT.relative_to(ROOT)} from {d}")
