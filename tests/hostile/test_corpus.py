"""The hostile-input corpus, every case in this process (the CLI's main, streams captured).

See tests/hostile/corpus.py for what is generated and the promises checked.
A subset runs as real subprocesses in test_subprocess.py.
"""

from __future__ import annotations

import pytest

from tests.hostile.corpus import cases
from tests.hostile.runner import check, run_in_process

CASES = cases()


def test_the_corpus_covers_every_surface():
    groups = {c.group for c in CASES}
    assert groups >= {"answers", "yaml", "json", "report", "probe_config", "eval_set", "log", "dataset",
                      "special", "output", "cache", "option"}
    assert len(CASES) >= 541


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path, monkeypatch):
    got = run_in_process(case, tmp_path, monkeypatch)
    problems = check(case, got, tmp_path)
    assert not problems, "\n".join(problems)
