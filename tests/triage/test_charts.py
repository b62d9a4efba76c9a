"""Every loss chart (terminal, TUI, record) scales to where the information is and labels the best checkpoint.

A run whose first loss is 14.8 and which then lives between 0.4 and 0.8 must not
become a flat line at the bottom of a 0..15 axis.
"""

from __future__ import annotations

import re

import pytest

from advisor.core.triage.chart import nice_ticks, plan
from advisor.core.triage.render import mermaid_chart


def report(first=14.8, n=100, best=(600, 0.5649)):
    train = [[1, first]] + [[6 * i, 0.4 + 0.4 * (i % 7) / 7] for i in range(1, n)]
    ev = [[100 * i, 0.8 - 0.04 * i] for i in range(1, 7)]
    return {"curves": [{"name": "train_loss", "kind": "train", "points": train},
                       {"name": "eval_loss", "kind": "eval", "points": ev}],
            "best_checkpoint": {"step": best[0], "eval_loss": best[1], "eval_set": "eval"},
            "inputs": {"log": {"x_label": "step"}}}


def test_a_high_start_is_clipped_and_said():
    p = plan(report())
    assert p.clipped and "14.8" in p.clipped
    assert p.y_hi < 1.0  # the run's own range (0.4..0.8), not 0..15
    assert p.y_lo >= 0.3
    assert "clipped" in p.title


def test_no_clip_when_the_start_is_in_range():
    p = plan(report(first=1.3))
    assert p.clipped is None and p.y_hi >= 1.3


@pytest.mark.parametrize("lo, hi", [(1, 600), (10, 1000), (0, 7), (3, 4), (1, 123457)])
def test_ticks_are_whole_numbers_inside_the_range(lo, hi):
    t = nice_ticks(lo, hi)
    assert all(isinstance(x, int) for x in t)
    assert all(lo <= x <= hi for x in t) and t == sorted(t)
    assert 1 <= len(t) <= 8


def test_best_checkpoint_is_labelled_with_step_and_loss():
    p = plan(report())
    assert p.best_step == 600 and p.best_label == "best: step 600, eval loss 0.5649"


def test_terminal_chart_has_integer_ticks_and_the_best_label():
    from advisor.commands.triage import loss_chart

    out = re.sub(r"\x1b\[[0-9;]*m", "", loss_chart(report(), width=100, height=18))
    assert "best: step 600, eval loss 0.5649" in out
    assert "clipped" in out
    bottom = [ln for ln in out.split("\n") if re.fullmatch(r"[\s\d]+", ln) and ln.strip()]
    assert bottom and all("." not in ln for ln in bottom)  # step ticks print as whole numbers
    ticks = [int(x) for x in bottom[0].split()]
    assert ticks == sorted(ticks) and ticks[-1] <= 600


def test_record_chart_uses_the_same_range_and_notes():
    r = report()
    md = mermaid_chart(r["curves"], r)
    lo, hi = map(float, re.search(r'y-axis "loss" ([\d.]+) --> ([\d.]+)', md).groups())
    assert hi < 1.0
    assert "Best: step 600, eval loss 0.5649." in md and "clipped" in md
    assert re.search(r'x-axis "step" \[100, 200, 300, 400, 500, 600\]', md)


def test_keras_chart_axis_is_the_epoch():
    r = report()
    r["inputs"]["log"]["x_label"] = "epoch"
    assert plan(r).x_label == "epoch" and plan(r).best_label.startswith("best: epoch 600")
