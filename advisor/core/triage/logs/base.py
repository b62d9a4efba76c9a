"""The shared machinery of the log readers: points, series, column guesses, rows -> :class:`TrainingLog`.

And the readers of the text formats that share it (the table in
:mod:`advisor.core.triage.logs.table` lists every format and its reader):

* Hugging Face ``trainer_state.json``: its ``log_history`` list. Python's
  :mod:`json` accepts the bare ``NaN``/``Infinity`` tokens the Trainer writes;
  they are kept as non-finite floats so the detectors can report them.
* Raw Hugging Face Trainer stdout: the ``{'loss': ..., 'epoch': ...}`` dict
  lines it prints among progress bars and warnings. Those lines carry no step,
  so steps are logging-event numbers (1, 2, ...), and the log says so.
* OpenAI fine-tuning metrics CSV (``step,train_loss,...,valid_loss,...,
  full_valid_loss,...``; empty cells where a value was not computed).
* PyTorch Lightning ``metrics.csv`` (sparse rows: train and validation rows
  interleaved, the other columns left empty).
* Generic CSV or JSONL rows (``--step-col/--loss-col/--eval-col`` override
  the column guesses), or a JSON array of such rows.

Every point keeps its 1-based line in the file so findings can cite
``file:line``. Anything unreadable raises :class:`~advisor.errors.UserError`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from advisor.core.io import LIMITS, json_loads, read_text
from advisor.errors import UserError


@dataclass(slots=True)
class Point:
    """One logged value: ``value`` may be NaN or Inf (the detectors look for them)."""

    step: float
    value: float
    line: Optional[int] = None
    epoch: Optional[float] = None


_NAN = float("nan")


class PointList(Sequence):
    """Points kept as four flat arrays (step, value, line, epoch): 32 bytes a point, not ~110 as objects.

    A sequence of :class:`Point` to whoever reads it (indexing, slicing,
    iteration make the points on the fly); readers fill it with :meth:`add`.
    A log of a million steps holds several million points, so this is what
    keeps a big ``trainer_state.json`` in bounded memory. A missing line is
    stored as 0 (lines count from 1), a missing epoch as NaN.
    """

    __slots__ = ("steps", "values", "lines", "epochs", "shared")

    def __init__(self, points: Iterable[Point] = ()) -> None:
        self.steps, self.values, self.lines, self.epochs = array("d"), array("d"), array("q"), array("d")
        self.shared = False
        for p in points:
            self.add(p.step, p.value, p.line, p.epoch)

    @classmethod
    def from_arrays(cls, steps: array, values: array, lines: array, epochs: array,
                    shared: bool = False) -> "PointList":
        """A list over arrays the caller built (same length; taken, not copied).

        ``shared``: the step, line and epoch arrays are also another list's (series
        logged on the same rows share them); the first :meth:`add` copies them.
        """
        out = cls.__new__(cls)
        out.steps, out.values, out.lines, out.epochs, out.shared = steps, values, lines, epochs, shared
        return out

    def add(self, step: float, value: float, line: Optional[int] = None, epoch: Optional[float] = None) -> None:
        """Append one point from its parts (no :class:`Point` made)."""
        if self.shared:
            self.steps, self.lines, self.epochs, self.shared = array("d", self.steps), array("q", self.lines), \
                array("d", self.epochs), False
        self.steps.append(step)
        self.values.append(value)
        self.lines.append(line or 0)
        self.epochs.append(_NAN if epoch is None else epoch)

    def append(self, p: Point) -> None:
        """Append a :class:`Point`."""
        self.add(p.step, p.value, p.line, p.epoch)

    def extend(self, points: Iterable[Point]) -> None:
        """Append several points."""
        for p in points:
            self.append(p)

    def __len__(self) -> int:
        return len(self.values)

    def _point(self, i: int) -> Point:
        e = self.epochs[i]
        return Point(self.steps[i], self.values[i], self.lines[i] or None, None if e != e else e)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return PointList.from_arrays(self.steps[i], self.values[i], self.lines[i], self.epochs[i])
        return self._point(i)

    def __iter__(self) -> Iterator[Point]:
        for s, v, ln, e in zip(self.steps, self.values, self.lines, self.epochs):
            yield Point(s, v, ln or None, None if e != e else e)

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (PointList, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PointList({list(self)!r})"


@dataclass
class Series:
    """A named sequence of points, in log order (kept as a :class:`PointList`; a plain list works too)."""

    name: str
    points: Sequence = field(default_factory=PointList)
    higher_is_better: Optional[bool] = False

    def finite(self) -> Sequence:
        """The points whose value is a finite number (the same object until points are added).

        The points themselves when all are finite (the usual case), so nothing is copied.
        """
        cached = self.__dict__.get("_finite")
        pts = self.points
        if cached is None or cached[0] != len(pts) or cached[2] is not pts:
            if isinstance(pts, PointList):
                if all(map(math.isfinite, pts.values)):
                    got: Sequence = pts
                else:
                    from itertools import compress

                    keep = list(map(math.isfinite, pts.values))
                    got = PointList.from_arrays(*(array(a.typecode, compress(a, keep))
                                                  for a in (pts.steps, pts.values, pts.lines, pts.epochs)))
            else:
                got = [p for p in pts if math.isfinite(p.value)]
            cached = (len(pts), got, pts)
            self.__dict__["_finite"] = cached
        return cached[1]


@dataclass
class TrainingLog:
    """What one training run logged, whatever wrote it."""

    file: str
    format: str
    train_loss: Series = field(default_factory=lambda: Series("train_loss"))
    eval_loss: dict[str, Series] = field(default_factory=dict)
    metrics: dict[str, Series] = field(default_factory=dict)
    grad_norm: Series = field(default_factory=lambda: Series("grad_norm"))
    learning_rate: Series = field(default_factory=lambda: Series("learning_rate"))
    max_epoch: Optional[float] = None
    last_line: Optional[int] = None
    steps_are_events: bool = False
    notes: list[str] = field(default_factory=list)
    x_label: str = "step"
    """What the x axis counts: ``step``, ``epoch`` (Keras CSVLogger) or ``event`` (Trainer stdout)."""

    def primary_eval(self) -> Optional[Series]:
        """The eval-loss series the verdicts use: ``eval`` if logged, else the densest one."""
        usable = {k: s for k, s in self.eval_loss.items() if s.points}
        if not usable:
            return None
        if "eval" in usable:
            return usable["eval"]
        if "full_valid" in usable and len(usable["full_valid"].points) >= 3:
            return usable["full_valid"]  # OpenAI: the whole validation set, not one batch
        return max(usable.values(), key=lambda s: len(s.points))

    def where(self, p: Point) -> str:
        """``file:line (step N)`` for a point, the ``where`` of a finding."""
        step = _fmt_step(p.step)
        label = f"event {step}" if self.steps_are_events else f"{self.x_label} {step}"
        return f"{self.file}:{p.line} ({label})" if p.line else f"{self.file} ({label})"


def _fmt_step(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# Column names the trainers use, most specific first.
_STEP_KEYS = ("step", "global_step", "trainer/global_step", "steps", "iteration", "iter", "_step")
_TRAIN_KEYS = ("loss", "train_loss_step", "train_loss", "training_loss", "train/loss", "train_loss_epoch")
_EPOCH_KEYS = ("epoch", "train/epoch", "epochs")
_LR_KEYS = ("learning_rate", "lr", "train/learning_rate")
_GRAD_KEYS = ("grad_norm", "train/grad_norm", "gradient_norm")
# HF bookkeeping that is not a quality metric.
_IGNORED_SUFFIXES = ("runtime", "samples_per_second", "steps_per_second", "total_flos", "flos", "num_tokens", "epoch", "step")
_EVAL_PREFIXES = ("eval_", "eval/", "val_", "val/", "valid_", "validation_", "full_valid_", "test_")

_HIGHER = {"acc", "accuracy", "f1", "bleu", "rouge", "rouge1", "rouge2", "rougel", "rougelsum", "exact", "em", "match",
           "precision", "recall", "auc", "roc", "pass", "score", "matthews", "spearman", "pearson", "map", "ndcg",
           "sacrebleu", "chrf", "meteor", "bertscore", "correct", "reward", "rewards", "win"}
_LOWER = {"wer", "cer", "perplexity", "ppl", "loss", "error", "err", "mae", "mse", "rmse", "ter", "nll"}


def metric_direction(name: str) -> Optional[bool]:
    """Whether a metric is better when higher (accuracy) or lower (WER); None if unknown."""
    parts = set(re.split(r"[_/\-.]+", name.lower()))
    if parts & _LOWER:
        return False
    if parts & _HIGHER:
        return True
    return None


def _eval_set_of(key: str) -> Optional[str]:
    """``eval_loss`` -> ``eval``; ``eval_squad_loss`` -> ``squad``; ``val_loss`` -> ``val``."""
    k = key.lower()
    if k in ("eval_loss", "eval/loss"):
        return "eval"
    if k in ("val_loss", "val_loss_epoch", "validation_loss", "val/loss"):
        return "val"
    if k == "valid_loss":
        return "valid"
    if k == "full_valid_loss":
        return "full_valid"
    if k == "test_loss":
        return "test"
    m = re.fullmatch(r"(?:eval|val|valid|validation)[_/](.+?)[_/]loss(?:_epoch)?", k)
    if m:
        return m.group(1)
    return None


@dataclass
class _Columns:
    step: Optional[str] = None
    train: Optional[str] = None
    epoch: Optional[str] = None
    lr: Optional[str] = None
    grad: Optional[str] = None
    evals: dict[str, str] = field(default_factory=dict)  # column -> set name
    metrics: dict[str, str] = field(default_factory=dict)  # column -> metric name


def _classify(keys: Iterable[str], *, step_col: Optional[str], loss_col: Optional[str],
              eval_col: Optional[str], file: str, where_keys: str) -> _Columns:
    keys = list(dict.fromkeys(keys))
    have = set(keys)
    for opt, col in (("--step-col", step_col), ("--loss-col", loss_col), ("--eval-col", eval_col)):
        if col is not None and col not in have:
            raise UserError(f"{opt} {col!r} is not a column of this log; {where_keys}: {', '.join(keys[:30])}",
                            file=file, line=1)
    c = _Columns()
    c.step = step_col or next((k for k in _STEP_KEYS if k in have), None)
    c.train = loss_col or next((k for k in _TRAIN_KEYS if k in have), None)
    c.epoch = next((k for k in _EPOCH_KEYS if k in have), None)
    c.lr = next((k for k in _LR_KEYS if k in have), None)
    if c.lr is None:
        c.lr = next((k for k in keys if k.lower().startswith("lr-")), None)  # Lightning LearningRateMonitor
    c.grad = next((k for k in _GRAD_KEYS if k in have), None)
    if eval_col:
        c.evals[eval_col] = _eval_set_of(eval_col) or "eval"
    taken = {c.step, c.train, c.epoch, c.lr, c.grad, eval_col}
    for k in keys:
        if k in taken or k.lower().startswith("train"):
            continue
        s = _eval_set_of(k)
        if s is not None and not eval_col:
            # Lightning logs both val_loss (per epoch) and val_loss_epoch; keep one.
            if k.endswith("_epoch") and k[: -len("_epoch")] in have:
                continue
            c.evals[k] = s
            continue
        low = k.lower()
        if low.startswith(_EVAL_PREFIXES) and not low.endswith(_IGNORED_SUFFIXES) and s is None:
            c.metrics[k] = k
    return c


def _to_float(v: Any, *, file: str, line: Optional[int], key: str) -> Optional[float]:
    """A cell or JSON value as a float; None for empty; NaN/Inf kept as such."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise UserError(f"expected a number (got {v!r})", file=file, line=line, key=key)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return None
        try:
            return float(s)  # accepts nan, inf, NaN, Infinity
        except ValueError:
            raise UserError(f"expected a number (got {v!r})", file=file, line=line, key=key) from None
    raise UserError(f"expected a number (got {type(v).__name__})", file=file, line=line, key=key)


def _build(rows: list[tuple[int, dict[str, Any]]], cols: _Columns, *, file: str, fmt: str,
           steps_are_events: bool = False, keys_seen: Optional[Iterable[str]] = None) -> TrainingLog:
    """Rows -> :class:`TrainingLog` by the classified columns (``keys_seen``: the keys to name when none holds a loss).

    One pass, values appended straight to each series' arrays: a 20,000-row
    state file is read in tens of milliseconds. A value that is not a float
    goes through :func:`_to_float` (its errors name file, line and key), in
    the order epoch, train loss, step, grad norm, learning rate, eval sets, metrics.
    """
    log = TrainingLog(file=file, format=fmt, steps_are_events=steps_are_events)
    for col, set_name in cols.evals.items():
        log.eval_loss.setdefault(set_name, Series(f"eval_loss" if set_name == "eval" else f"{set_name}_loss"))
    for col in cols.metrics:
        log.metrics[col] = Series(col, higher_is_better=metric_direction(col))
    event = 0
    last_step = 0.0
    nan = _NAN
    conv = _to_float
    ep_k, tr_k, st_k = cols.epoch or None, cols.train or None, cols.step or None
    no_step_col = cols.step is None

    def sink(pts: PointList):
        """The four arrays' ``append`` (what :meth:`PointList.add` does, without a call per value)."""
        if pts.shared:
            pts.steps, pts.lines, pts.epochs, pts.shared = array("d", pts.steps), array("q", pts.lines), \
                array("d", pts.epochs), False
        return pts.steps.append, pts.values.append, pts.lines.append, pts.epochs.append

    train_sink = sink(log.train_loss.points)
    others = [(k, sink(series.points)) for k, series in ((cols.grad, log.grad_norm), (cols.lr, log.learning_rate)) if k]
    others += [(col, sink(log.eval_loss[set_name].points)) for col, set_name in cols.evals.items() if col]
    others += [(col, sink(log.metrics[col].points)) for col in cols.metrics if col]
    last_line = log.last_line
    max_epoch = log.max_epoch
    for line, row in rows:
        if "train_runtime" in row:  # HF end-of-training summary: an average, not a point
            continue
        get = row.get
        if ep_k is None:
            epoch = None
        else:
            epoch = get(ep_k)
            if type(epoch) is not float and epoch is not None:
                epoch = conv(epoch, file=file, line=line, key=ep_k)
        if tr_k is None:
            train = None
        else:
            train = get(tr_k)
            if type(train) is not float and train is not None:
                train = conv(train, file=file, line=line, key=tr_k)
        if steps_are_events:
            if train is not None:
                event += 1
            step = float(event)
        else:
            if st_k is None:
                step = None
            else:
                step = get(st_k)
                if type(step) is not float and step is not None:
                    step = conv(step, file=file, line=line, key=st_k)
            if step is None:
                # Generic rows without a step column: the row number stands in.
                step = last_step + 1 if no_step_col else None
            if step is None:
                continue  # a sparse Lightning row with no step (rare); nothing to place
        last_step = step
        ln = line or 0
        ep = nan if epoch is None else epoch
        if epoch is not None:
            max_epoch = epoch if max_epoch is None else max(max_epoch, epoch)
        if train is not None:
            a_s, a_v, a_l, a_e = train_sink
            a_s(step), a_v(train), a_l(ln), a_e(ep)
        for k, (a_s, a_v, a_l, a_e) in others:
            v = get(k)
            if v is None:
                continue
            if type(v) is not float:
                v = conv(v, file=file, line=line, key=k)
                if v is None:
                    continue
            a_s(step), a_v(v), a_l(ln), a_e(ep)
        last_line = line
    log.last_line = last_line
    log.max_epoch = max_epoch
    log.eval_loss = {k: s for k, s in log.eval_loss.items() if s.points}
    log.metrics = {k: s for k, s in log.metrics.items() if s.points}
    if not log.train_loss.points and not log.eval_loss:
        seen = set(keys_seen) if keys_seen is not None else {k for _, r in rows for k in r}
        found = ", ".join(sorted(seen)[:30]) or "none"
        raise UserError(
            f"no loss values found in this {fmt} log (keys seen: {found}); "
            "name the columns with --step-col/--loss-col/--eval-col",
            file=file,
        )
    if steps_are_events:
        log.notes.append("Hugging Face Trainer output prints no step: steps are logging-event numbers")
        log.x_label = "event"
    return log


def _trainer_state(text: str, data: dict[str, Any], file: str, **cols: Optional[str]) -> TrainingLog:
    hist = data.get("log_history")
    if not isinstance(hist, list):
        raise UserError("expected 'log_history' to be a list of log rows", file=file, key="log_history")
    lines = _entry_lines(text, len(hist))
    rows = []
    for i, row in enumerate(hist):
        if not isinstance(row, dict):
            raise UserError(f"expected a JSON object (got {type(row).__name__})", file=file,
                            line=lines[i] if lines else None, key=f"log_history[{i}]")
        rows.append((lines[i] if lines else None, row))
    keys = [k for _, r in rows for k in r]
    c = _classify(keys, file=file, where_keys="log_history keys", **cols)
    log = _build(rows, c, file=file, fmt="hf_trainer_state")
    return log


def _entry_lines(text: str, n: int) -> Optional[list[int]]:
    """1-based line of each ``log_history`` entry, by decoding the array element by element."""
    m = re.search(r'"log_history"\s*:\s*\[', text)
    if not m:
        return None
    dec = json.JSONDecoder()
    pos = m.end()
    line = text.count("\n", 0, pos) + 1
    out: list[int] = []
    ws = re.compile(r"[\s,]*")
    while len(out) < n:
        nxt = ws.match(text, pos).end()
        line += text.count("\n", pos, nxt)
        if nxt >= len(text) or text[nxt] == "]":
            return None
        out.append(line)
        try:
            _, end = dec.raw_decode(text, nxt)
        except json.JSONDecodeError:
            return None
        line += text.count("\n", nxt, end)
        pos = end
    return out


_TICK = 8192  # lines between progress reports


def _ticking(lines: list[str], progress, what: str) -> Iterable[tuple[int, str]]:
    """``enumerate(lines)``, telling ``progress`` (when given) how many characters have been read.

    The bar shows only once a read has taken a second, so small logs show nothing.
    """
    if progress is None:
        yield from enumerate(lines)
        return
    progress.start(sum(map(len, lines)) + len(lines), what)
    done = 0
    for i, raw in enumerate(lines):
        done += len(raw) + 1
        if not (i + 1) % _TICK:
            progress.update(done)
            done = 0
        yield i, raw
    progress.update(done)
    progress.complete()


_STDOUT_DICT = re.compile(r"\{'(?:loss|eval_[a-z0-9_]+|train_runtime|grad_norm|learning_rate|epoch)'\s*:[^{}]*\}")


def _stdout(text: str, file: str, progress=None, **cols: Optional[str]) -> TrainingLog:
    rows = []
    for i, raw in _ticking(text.split("\n"), progress, f"reading {Path(file).name}"):
        lineno = i + 1
        for m in _STDOUT_DICT.finditer(raw):
            row = _py_dict(m.group(0))
            if row is not None:
                rows.append((lineno, row))
    if not rows:
        raise UserError("no Trainer log lines ({'loss': ...}) found", file=file)
    keys = [k for _, r in rows for k in r]
    c = _classify(keys, file=file, where_keys="keys seen", **cols)
    has_step = c.step is not None and any(c.step in r for _, r in rows)
    return _build(rows, c, file=file, fmt="hf_stdout", steps_are_events=not has_step)


def _py_dict(s: str) -> Optional[dict[str, Any]]:
    """A printed Python dict of numbers as a dict (``nan``/``inf`` included)."""
    js = s.replace("'", '"')
    js = re.sub(r"(?<![\w.])-?nan\b", "NaN", js)
    js = re.sub(r"(?<![\w.])(-?)inf\b", r"\1Infinity", js)
    js = js.replace("True", "true").replace("False", "false").replace("None", "null")
    try:
        d = json_loads(js)
    except json.JSONDecodeError:
        return None
    return d if isinstance(d, dict) else None


_LF_KEYS = {"current_steps", "total_steps"}


def _llamafactory(text: str, file: str, progress=None, **cols: Optional[str]) -> TrainingLog:
    """LLaMA-Factory ``trainer_log.jsonl``: one line per Trainer log event.

    Quirks: the step is ``current_steps``; the learning rate is ``lr``; LLaMA-Factory
    drops every falsy value before writing, so a training line (it has ``lr``)
    without ``loss`` logged a loss of exactly 0.0; lines written twice (one per
    node on a shared disk, or a copied log) are dropped; a run restarted into the
    same folder appends from step 1 again, and only the last run is kept.
    """
    seen: set = set()
    rows: list[tuple[int, dict[str, Any]]] = []
    notes: list[str] = []
    dropped = zeros = restarts = 0
    lines = text.split("\n")
    last = max((i for i, s in enumerate(lines) if s.strip()), default=-1)
    for i, raw in _ticking(lines, progress, f"reading {Path(file).name}"):
        if not raw.strip():
            continue
        try:
            row = json_loads(raw)
        except json.JSONDecodeError as e:
            if i == last and rows:
                notes.append(f"line {i + 1} is cut off (the run may have stopped while writing); skipped")
                continue
            raise UserError(f"malformed JSON: {e.msg}", file=file, line=i + 1, column=e.colno) from None
        if not isinstance(row, dict):
            raise UserError(f"expected a JSON object per line (got {type(row).__name__})", file=file, line=i + 1)
        step = row.get("current_steps")
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            raise UserError(f"expected a number for 'current_steps' (got {step!r})", file=file, line=i + 1,
                            key="current_steps")
        key = tuple(sorted((k, v) for k, v in row.items() if k not in ("elapsed_time", "remaining_time", "throughput")
                           and not isinstance(v, (dict, list))))
        if key in seen:
            dropped += 1
            continue
        if rows and step < rows[-1][1]["current_steps"] and "eval_loss" not in row:
            restarts += 1
            rows, seen = [], set()
        seen.add(key)
        if "lr" in row and "loss" not in row and "eval_loss" not in row:
            row = dict(row, loss=0.0)  # written as {"lr": ...} with the zero loss dropped
            zeros += 1
        rows.append((i + 1, row))
    if not rows:
        raise UserError("no log lines found in this LLaMA-Factory trainer_log.jsonl", file=file)
    c = _classify([k for _, r in rows for k in r], file=file, where_keys="keys seen", **cols)
    c.step = cols.get("step_col") or "current_steps"
    if not cols.get("loss_col"):
        c.train = "loss"
    c.lr = "lr"
    c.evals = {k: v for k, v in c.evals.items() if k != "predict_loss"}
    log = _build(rows, c, file=file, fmt="llamafactory_jsonl")
    if dropped:
        notes.append(f"{dropped} repeated line(s) dropped (the same step and values written twice)")
    if restarts:
        notes.append(f"the run restarted from an earlier step {restarts} time(s) in this file; only the last run is read")
    if zeros:
        notes.append(f"{zeros} training line(s) have no 'loss' key: LLaMA-Factory drops zero values, so they logged 0.0")
    log.notes += notes
    return log


def _jsonl(text: str, file: str, progress=None, **cols: Optional[str]) -> TrainingLog:
    rows = []
    lines = text.split("\n")
    last = max((i for i, s in enumerate(lines) if s.strip()), default=-1)
    notes = []
    for i, raw in _ticking(lines, progress, f"reading {Path(file).name}"):
        if not raw.strip():
            continue
        try:
            row = json_loads(raw)
        except json.JSONDecodeError as e:
            if i == last and rows:
                notes.append(f"line {i + 1} is cut off (the run may have stopped while writing); skipped")
                continue
            raise UserError(f"malformed JSON: {e.msg}", file=file, line=i + 1, column=e.colno) from None
        if not isinstance(row, dict):
            raise UserError(f"expected a JSON object per line (got {type(row).__name__})", file=file, line=i + 1)
        rows.append((i + 1, row))
    keys = [k for _, r in rows for k in r]
    c = _classify(keys, file=file, where_keys="keys seen", **cols)
    log = _build(rows, c, file=file, fmt="jsonl")
    log.notes += notes
    return log


def _csv(text: str, file: str, **cols: Optional[str]) -> TrainingLog:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError("empty file, expected a training log", file=file) from None
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise UserError(
            "could not recognise the log format: expected a Hugging Face trainer_state.json, Trainer output, "
            "a metrics CSV with a header row (step and loss columns), or JSONL rows",
            file=file, line=1,
        )
    c = _classify(header, file=file, where_keys="columns", **cols)
    if c.train is None and not c.evals and c.step is None and c.epoch is None:
        raise UserError(
            f"could not recognise the log format: no step or loss column in the first line "
            f"(columns: {', '.join(header[:30])}); expected a Hugging Face trainer_state.json, Trainer output, "
            "an OpenAI or Lightning metrics CSV, or CSV/JSONL rows; name the columns with --step-col/--loss-col/--eval-col",
            file=file, line=1,
        )
    if c.train is None and not c.evals:
        raise UserError(
            f"no loss column found in the header (columns: {', '.join(header[:30])}); "
            "name it with --loss-col/--eval-col",
            file=file, line=1,
        )
    rows = []
    for lineno, rec in enumerate(reader, start=2):
        if not rec or not any(x.strip() for x in rec):
            continue
        if len(rec) > len(header):
            raise UserError(f"{len(rec)} cells but the header has {len(header)} columns", file=file, line=lineno)
        rows.append((lineno, dict(zip(header, rec))))
    low = {h.lower() for h in header}
    if "full_valid_loss" in low or ("train_accuracy" in low and "valid_loss" in low):
        fmt = "openai_csv"
    elif any(h.endswith(("_step", "_epoch")) for h in low) or ({"val_loss", "epoch", "step"} <= low):
        fmt = "lightning_csv"
    else:
        fmt = "csv"
    return _build(rows, c, file=file, fmt=fmt)


def log_text(path: str | Path) -> str:
    """A log file's text, through the shared reader (size limit, special files, UTF-8, OS errors)."""
    return read_text(path, limit=LIMITS["log"], what="a training log")


def read_generic(text: str, file: str, cols: dict[str, Optional[str]], progress=None) -> TrainingLog:
    """JSON, JSONL, CSV or Trainer stdout whose format the table's recognisers did not claim.

    Raises:
        UserError: malformed, or no loss values; the message names the file and line.
    """
    stripped = text.lstrip()
    if not stripped:
        raise UserError("empty file, expected a training log", file=file)
    if stripped[0] in "{[":
        try:
            data = json_loads(text)
        except json.JSONDecodeError as whole:
            first = stripped.split("\n", 1)[0]
            try:
                first_ok = isinstance(json_loads(first), dict)
            except json.JSONDecodeError:
                first_ok = False
            if first_ok:
                if _LF_KEYS <= set(json_loads(first)):
                    return _llamafactory(text, file, progress, **cols)
                return _jsonl(text, file, progress, **cols)
            if _STDOUT_DICT.search(text):
                return _stdout(text, file, progress, **cols)
            raise UserError(f"malformed JSON: {whole.msg}", file=file, line=whole.lineno, column=whole.colno) from None
        if isinstance(data, dict) and "log_history" in data:
            return _trainer_state(text, data, file, **cols)
        if isinstance(data, dict):
            if _LF_KEYS <= set(data):
                return _llamafactory(text, file, progress, **cols)
            return _jsonl(text, file, progress, **cols)
        if isinstance(data, list):
            lines = _array_lines(text, len(data))
            rows = []
            for i, r in enumerate(data):
                if not isinstance(r, dict):
                    raise UserError(f"expected a JSON object (got {type(r).__name__})", file=file,
                                    line=lines[i] if lines else None, key=f"[{i}]")
                rows.append((lines[i] if lines else None, r))
            keys = [k for _, r in rows for k in r]
            return _build(rows, _classify(keys, file=file, where_keys="keys seen", **cols), file=file, fmt="json")
        raise UserError("expected a JSON object or array of log rows", file=file, line=1)
    if _STDOUT_DICT.search(text):
        return _stdout(text, file, progress, **cols)
    return _csv(text, file, **cols)


def _array_lines(text: str, n: int) -> Optional[list[int]]:
    """Line of each element of a top-level JSON array."""
    fake = '"log_history": ' + text.lstrip()
    offset = text.count("\n", 0, len(text) - len(text.lstrip()))
    got = _entry_lines(fake, n)
    return [x + offset for x in got] if got else None
