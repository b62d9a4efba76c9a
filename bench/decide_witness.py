"""Search varied interview answers for a witness against each surviving ``decide.py`` mutant.

The decide counterpart of ``bench/mutant_witness.py``: it loads the mutated copy
``bench/mutation.py decide --keep DIR`` left, decides the fixtures, the scenarios and seeded
variations of them (``tests.unit.test_path_to_ready.varied_answers``: one to five answers moved to
another choice, a number near a bar, or "I don't know") with the original code and with each
survivor switched on, and compares the whole assessment (every field, as JSON). The first answers
on which they differ are the mutant's *witness*; "none in N" is evidence for an "equivalent" reason
in docs/mutation.md, not a proof.

    python bench/mutation.py decide --keep /tmp/mut-dec
    python bench/decide_witness.py /tmp/mut-dec --answers 3000 --only '*x__path_to_ready__*'
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from mutant_witness import witness_args  # noqa: E402  (bench/ is not a package on the path)


def main() -> int:
    args, names = witness_args(__doc__, "core.decide", "answers", 1000, "varied answer sets")
    if not names:
        print("no surviving decide mutant there", file=sys.stderr)
        return 1
    sys.path.insert(0, str(args.work / "mutants"))
    os.chdir(args.work / "mutants")
    from mutmut.mutation import trampoline

    from advisor.core.decide import decide
    from advisor.core.knowledge import load_knowledge
    from tests.unit.test_path_to_ready import varied_answers

    kb = load_knowledge()
    cases = varied_answers(kb, args.answers, seed=args.seed)

    def outcome(answers) -> str:
        try:
            return json.dumps(decide(answers, kb).model_dump(mode="json"), sort_keys=True)
        except Exception as e:  # a mutant that raises where the original does not: a witness too
            return f"raised {type(e).__name__}: {e}"

    trampoline.set_mutant_under_test("")
    expected = [outcome(a) for a in cases]
    found = 0
    for name in names:
        trampoline.set_mutant_under_test(name)
        witness = next((i for i, a in enumerate(cases) if outcome(a) != expected[i]), None)
        trampoline.set_mutant_under_test("")
        short = name.split(".core.decide.", 1)[1]
        if witness is None:
            print(f"{short}: none in {len(cases)}", flush=True)
            continue
        found += 1
        base = cases[witness].flat()
        print(f"{short}: witness (answers {witness}: {json.dumps(base, default=str)[:400]})", flush=True)
    print(f"{found} of {len(names)} survivors have a witness; {len(names) - found} none in {len(cases)} answer sets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
