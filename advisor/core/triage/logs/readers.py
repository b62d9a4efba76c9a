"""Readers for the formats beyond the shared text ones: each turns one file into a :class:`TrainingLog`.

Each reader takes the path, the file's name as the user gave it, the column
overrides and a progress object, and raises :class:`~advisor.errors.UserError`
naming the file and line when the content is not what its format promises.
The table in :mod:`advisor.core.triage.logs.table` says which reader a file gets.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Iterator, Optional

from advisor.core.io import json_loads
from advisor.core.triage.logs.base import log_text as read_text
from advisor.core.triage.logs import base
from advisor.core.triage.logs.base import TrainingLog, _build, _classify
from advisor.core.triage.logs.stream import _DROP, iter_log_history_batches, slim
from advisor.core.triage.progress import Progress
from advisor.errors import UserError

Cols = dict[str, Optional[str]]


# --------------------------------------------------------------------------- Hugging Face trainer_state.json
WHOLE_FILE_LIMIT = 8 * 1024 * 1024


def _whole(path: Path, file: str) -> Optional[Iterator[tuple[int, Any]]]:
    """A state file up to 8 MiB parsed in one ``json.loads`` (the fastest way), with each entry's line.

    The Trainer writes ``indent=2``, so each ``log_history`` entry opens on a line
    of its own, four spaces in: the lines come from one scan for those. None
    (use the stream) when the file is bigger, or laid out otherwise.
    """
    import os

    if os.path.getsize(path) > WHOLE_FILE_LIMIT:
        return None
    text = read_text(path)
    try:
        data = json_loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"malformed JSON: {e.msg}", file=file, line=e.lineno, column=e.colno) from None
    hist = data.get("log_history") if isinstance(data, dict) else None
    if not isinstance(hist, list):
        raise UserError("expected 'log_history' to be a list of log rows", file=file, key="log_history")
    m = re.search(r'"log_history"\s*:\s*\[', text)
    if m is None:
        return None
    pos, line, lines = m.end(), text.count("\n", 0, m.end()) + 1, []
    while len(lines) < len(hist):
        nxt = text.find("\n    {", pos)
        if nxt < 0:
            return None
        line += text.count("\n", pos, nxt) + 1
        lines.append(line)
        pos = nxt + 1
    return zip(lines, hist)


def _stream_columns(path: Path, file: str, progress: Optional[Progress]):
    """A big state file streamed into columns: per key, a float64 value and a presence flag per entry.

    Nine bytes a key an entry, where a row dict costs hundreds; entries that
    share their keys (nearly all: the Trainer writes ``sort_keys``) are turned
    into columns a key at a time. Returns ``(lines, columns)`` as numpy arrays.
    """
    import numpy as np

    line_parts: list = []
    chunks: list[tuple[int, dict[str, tuple]]] = []  # (entries in the batch, key -> (values, present))
    total = 0
    index = 0
    for blines, objs in iter_log_history_batches(str(path), file, progress):
        keep_lines, rows = [], []
        for line, row in zip(blines, objs):
            if type(row) is not dict:
                raise UserError(f"expected a JSON object (got {type(row).__name__})", file=file, line=line,
                                key=f"log_history[{index}]")
            index += 1
            if "train_runtime" in row:
                continue  # HF end-of-training summary: an average, not a point
            keep_lines.append(line)
            rows.append(row)
        m = len(rows)
        if not m:
            continue
        groups: dict[tuple, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(tuple(row), []).append(i)
        cols: dict[str, tuple] = {}
        for keys, idx in groups.items():
            grp = [rows[i] for i in idx] if len(idx) != m else rows
            for k in keys:
                if k.endswith(_DROP):
                    continue
                vals = [r[k] for r in grp]
                got = _floats(vals, [keep_lines[i] for i in idx] if len(idx) != m else keep_lines, k, file)
                if got is None:
                    continue
                fv, ok = got
                if k not in cols:
                    cols[k] = (np.zeros(m), np.zeros(m, dtype=bool))
                cv, cp = cols[k]
                where = np.asarray(idx) if len(idx) != m else slice(None)
                cv[where] = fv
                cp[where] = ok
        line_parts.append(np.asarray(keep_lines, dtype=np.int64))
        chunks.append((m, cols))
        total += m
    keys = list(dict.fromkeys(k for _, c in chunks for k in c))
    dense: dict[str, tuple] = {}
    for k in keys:  # one key at a time, its batch parts freed as they are copied
        vals, present = np.zeros(total), np.zeros(total, dtype=bool)
        at = 0
        for m, c in chunks:
            part = c.pop(k, None)
            if part is not None:
                vals[at:at + m], present[at:at + m] = part
            at += m
        dense[k] = (vals, present)
    del chunks
    lines = np.concatenate(line_parts) if line_parts else np.zeros(0, dtype=np.int64)
    return lines, dense


def _floats(vals: list, lines: list, key: str, file: str):
    """One key's values across entries as (float64 array, present flags); None when none is a number.

    Numbers go through in one step; anything else the way :func:`base._to_float`
    reads a cell (strings parsed, ``null`` absent, a bool an error naming the line);
    nested objects and lists are not values.
    """
    import numpy as np

    kinds = set(map(type, vals))
    if kinds <= {float, int}:
        return np.asarray(vals, dtype=float), np.ones(len(vals), dtype=bool)
    out, ok = np.zeros(len(vals)), np.zeros(len(vals), dtype=bool)
    for i, (v, line) in enumerate(zip(vals, lines)):
        if isinstance(v, (dict, list)):
            continue
        f = base._to_float(v, file=file, line=line, key=key)
        if f is not None:
            out[i], ok[i] = f, True
    return (out, ok) if ok.any() else None


def _build_columns(lines, dense: dict, c, *, file: str, fmt: str) -> TrainingLog:
    """:func:`base._build` over columns: the same points, made with array operations, not row by row."""
    import numpy as np
    from array import array

    from advisor.core.triage.logs.base import PointList, Series, metric_direction

    log = TrainingLog(file=file, format=fmt)
    n = len(lines)
    if c.step is not None and c.step in dense:
        steps, ok = dense[c.step]
    elif c.step is not None:
        steps, ok = np.zeros(n), np.zeros(n, dtype=bool)
    else:  # no step column: the row number stands in
        steps, ok = np.arange(1, n + 1, dtype=float), np.ones(n, dtype=bool)
    if c.epoch in dense:
        ev, ep = dense[c.epoch]
        epochs = np.where(ep, ev, np.nan)
        if (ep & ok).any():
            log.max_epoch = float(ev[ep & ok].max())
    else:
        epochs = np.full(n, np.nan)

    made: list[tuple] = []  # (mask, steps, lines, epochs) already cut: series on the same rows share them

    def points(col: str) -> PointList:
        v, p = dense[col]
        mask = p & ok
        values = array("d", v[mask].tobytes())
        for m, s_, l_, e_ in made:
            if np.array_equal(m, mask):
                return PointList.from_arrays(s_, values, l_, e_, shared=True)
        s_, l_, e_ = (array(t, a[mask].tobytes()) for t, a in (("d", steps), ("q", lines), ("d", epochs)))
        made.append((mask, s_, l_, e_))
        return PointList.from_arrays(s_, values, l_, e_, shared=True)

    if c.train in dense:
        log.train_loss.points = points(c.train)
    if c.grad in dense:
        log.grad_norm.points = points(c.grad)
    if c.lr in dense:
        log.learning_rate.points = points(c.lr)
    by_set: dict[str, list[str]] = {}
    for col, set_name in c.evals.items():
        by_set.setdefault(set_name, []).append(col)
    for set_name, cols in by_set.items():
        cols = [x for x in cols if x in dense]
        if not cols:
            continue
        if len(cols) == 1:
            pts = points(cols[0])
        else:  # two columns naming one set: points in row order, then column order, as row by row
            parts = [(np.nonzero(dense[x][1] & ok)[0], x) for x in cols]
            order = sorted((int(r), j) for j, (rows, _) in enumerate(parts) for r in rows)
            pts = PointList()
            for r, j in order:
                pts.add(float(steps[r]), float(dense[parts[j][1]][0][r]), int(lines[r]),
                        None if np.isnan(epochs[r]) else float(epochs[r]))
        if len(pts):
            log.eval_loss[set_name] = Series("eval_loss" if set_name == "eval" else f"{set_name}_loss", pts)
    for col in c.metrics:
        if col in dense:
            pts = points(col)
            if len(pts):
                log.metrics[col] = Series(col, pts, higher_is_better=metric_direction(col))
    if ok.any():
        log.last_line = int(lines[ok][-1])
    if not log.train_loss.points and not log.eval_loss:
        found = ", ".join(sorted(dense)[:30]) or "none"
        raise UserError(
            f"no loss values found in this {fmt} log (keys seen: {found}); "
            "name the columns with --step-col/--loss-col/--eval-col",
            file=file,
        )
    return log


def trainer_state(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """``log_history`` entry by entry (bounded memory); the end-of-training summary row is skipped."""
    rows: list[tuple[int, dict[str, Any]]] = []
    keys: dict[str, None] = {}
    entries = _whole(path, file)
    if entries is None:  # a big file: streamed, and kept as columns
        lines, dense = _stream_columns(path, file, progress)
        c = _classify(dense, file=file, where_keys="log_history keys", **cols)
        return _build_columns(lines, dense, c, file=file, fmt="hf_trainer_state")
    for i, (line, row) in enumerate(entries):
        if not isinstance(row, dict):
            raise UserError(f"expected a JSON object (got {type(row).__name__})", file=file, line=line,
                            key=f"log_history[{i}]")
        if "train_runtime" in row:
            continue  # HF end-of-training summary: an average, not a point
        keys.update(row)  # the rows are read by key, so the bookkeeping keys need not be copied out of them
        rows.append((line, row))
    keys = {k: None for k in keys if not k.endswith(_DROP)}  # as slim() leaves them, first-seen order
    c = _classify(keys, file=file, where_keys="log_history keys", **cols)
    return _build(rows, c, file=file, fmt="hf_trainer_state", keys_seen=keys)


# --------------------------------------------------------------------------- HF model card (README.md)
_CARD_HEAD = re.compile(r"^#{2,4}\s*Training results\s*$", re.M | re.I)
_CARD_MAP = {"training loss": "loss", "epoch": "epoch", "step": "step", "validation loss": "eval_loss"}


def model_card(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """The Trainer-generated model card's "Training results" table.

    Quirks: ``No log`` where the training loss had not been logged yet at that
    evaluation (the cell is empty, not zero); metric columns (``Accuracy``,
    ``Wer``, ``Rouge1``) become eval metrics; one row per evaluation, so every
    row is an eval point.
    """
    text = read_text(path)
    m = _CARD_HEAD.search(text)
    if not m:
        raise UserError("no '### Training results' table in this model card", file=file)
    lines = text[m.end():].split("\n")
    start = text.count("\n", 0, m.end()) + 1
    header: Optional[list[str]] = None
    rows = []
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            if header is not None and rows:
                break
            continue
        if not s.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in s.strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if all(set(c) <= set(":- ") for c in cells):
            continue  # the |:---:| rule
        lineno = start + i
        if len(cells) != len(header):
            raise UserError(f"{len(cells)} cells but the table header has {len(header)}", file=file, line=lineno)
        row: dict[str, Any] = {}
        for h, c in zip(header, cells):
            key = _CARD_MAP.get(h.lower(), "eval_" + re.sub(r"\W+", "_", h.strip().lower()).strip("_"))
            row[key] = None if c.lower() in ("no log", "", "-") else c
        rows.append((lineno, row))
    if header is None or not rows:
        raise UserError("the 'Training results' table has no rows", file=file, line=start)
    if not any(h.lower() in ("training loss", "validation loss") for h in header):
        raise UserError(f"the 'Training results' table has no loss column (columns: {', '.join(header)})",
                        file=file, line=start)
    keys = list(dict.fromkeys(k for _, r in rows for k in r))
    c = _classify(keys, file=file, where_keys="table columns", **cols)
    log = _build(rows, c, file=file, fmt="hf_model_card")
    log.notes.append("read from the model card's Training results table: one row per evaluation")
    return log


# --------------------------------------------------------------------------- MLX-LM stdout
_MLX = re.compile(r"^Iter (\d+): (Train|Val) loss ([-+0-9.eE]+|nan|inf)(.*)$", re.I)
_MLX_LR = re.compile(r"Learning Rate ([-+0-9.eE]+)")


def mlx_stdout(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """``mlx_lm.lora`` output: ``Iter N: Train loss X, Learning Rate Y, ...`` and ``Iter N: Val loss X, Val took Ts``.

    Quirks: the validation at iteration 1 comes before any training line; other
    lines (``Saved adapter weights``, ``Test loss``) are skipped.
    """
    rows = []
    for lineno, raw in enumerate(read_text(path).split("\n"), start=1):
        m = _MLX.match(raw.strip())
        if not m:
            continue
        step, kind, val, rest = int(m.group(1)), m.group(2).lower(), m.group(3), m.group(4)
        row: dict[str, Any] = {"step": step, ("loss" if kind == "train" else "val_loss"): val}
        lr = _MLX_LR.search(rest)
        if lr:
            row["learning_rate"] = lr.group(1)
        rows.append((lineno, row))
    if not rows:
        raise UserError("no 'Iter N: Train loss' lines found", file=file)
    c = _classify(["step", "loss", "val_loss", "learning_rate"], file=file, where_keys="keys", **cols)
    return _build(rows, c, file=file, fmt="mlx_stdout")


# --------------------------------------------------------------------------- torchtune DiskLogger
_TT = re.compile(r"^Step (\d+) \| (.*)$")


def torchtune_log(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """torchtune's ``log_<time>.txt``: ``Step N | loss:X lr:Y tokens_per_second_per_gpu:Z ...``.

    Quirks: one line per metric batch, each ``name:value`` separated by spaces;
    a recipe that validates logs ``val_loss`` on its own line for the same step.
    """
    rows = []
    for lineno, raw in enumerate(read_text(path).split("\n"), start=1):
        m = _TT.match(raw.strip())
        if not m:
            continue
        row: dict[str, Any] = {"step": int(m.group(1))}
        for part in m.group(2).split():
            k, sep, v = part.partition(":")
            if sep:
                row[k] = v
        rows.append((lineno, row))
    if not rows:
        raise UserError("no 'Step N | loss:...' lines found", file=file)
    keys = list(dict.fromkeys(k for _, r in rows for k in r))
    c = _classify(keys, file=file, where_keys="keys seen", **cols)
    return _build(rows, c, file=file, fmt="torchtune_log")


# --------------------------------------------------------------------------- CSV families
def _csv_rows(path: Path, file: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(io.StringIO(read_text(path)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UserError("empty file, expected a training log", file=file) from None
    rows = []
    for lineno, rec in enumerate(reader, start=2):
        if not rec or not any(x.strip() for x in rec):
            continue
        if len(rec) > len(header):
            raise UserError(f"{len(rec)} cells but the header has {len(header)} columns", file=file, line=lineno)
        rows.append((lineno, dict(zip(header, rec))))
    return header, rows


def keras_csv(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """Keras ``CSVLogger``: ``epoch`` then the metric names sorted (``accuracy,loss,val_accuracy,val_loss``).

    Quirks: one row per epoch and no step, so the x axis is the epoch; the CSV
    counts epochs from 0 while Keras prints ``Epoch 1/N``, so the axis is shown
    from 1 like its progress bar.
    """
    header, rows = _csv_rows(path, file)
    out = []
    for lineno, r in rows:
        r = dict(r)
        try:
            r["epoch"] = str(float(r["epoch"]) + 1)
        except ValueError:
            raise UserError(f"expected a number (got {r['epoch']!r})", file=file, line=lineno, key="epoch") from None
        r["step"] = r["epoch"]
        out.append((lineno, r))
    c = _classify(["step"] + header, file=file, where_keys="columns", **cols)
    log = _build(out, c, file=file, fmt="keras_csv")
    log.x_label = "epoch"
    log.notes.append("Keras CSVLogger: one row per epoch; the x axis is the epoch, counted from 1")
    return log


def bedrock_csv(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """Amazon Bedrock's ``step_wise_training_metrics.csv`` and ``validation_metrics.csv``.

    Columns, as Bedrock's guide to a customization job's results lists them:
    ``step_number`` (from 0), ``epoch_number``, ``training_loss`` and
    ``perplexity``; the validation file has ``validation_loss`` in place of
    ``training_loss``. Perplexity is exp(loss), so it is not read as a metric
    of its own. Either file may be given; the other, when it sits beside it,
    is merged in. Quirks: ``step_number`` can restart at each epoch; then the
    steps are made cumulative (the steps of the epochs before added), and the
    report says so.
    """
    path = Path(path)
    files = [path]
    sib = {"step_wise_training_metrics.csv": "validation_metrics.csv",
           "validation_metrics.csv": "step_wise_training_metrics.csv"}.get(path.name)
    notes = []
    if sib and (path.parent / sib).is_file():
        files.append(path.parent / sib)
        notes.append(f"merged {sib} from the same folder")
    parsed = []
    for f in files:
        header, rs = _csv_rows(f, str(f))
        for lineno, r in rs:
            try:
                st = float(r.get("step_number", ""))
                ep = float(r.get("epoch_number", "") or 0)
            except ValueError:
                raise UserError("expected numbers in step_number and epoch_number", file=str(f), line=lineno) from None
            parsed.append((f, lineno, st, ep, r))
    # step_number restarting each epoch shows in the training file: a step lower than the one before it
    # while the epoch grows. Then each epoch is offset by the steps of the epochs before it, in both files.
    train = [t for t in parsed if "training_loss" in t[4]]
    restarted = any(b[2] < a[2] and b[3] > a[3] for a, b in zip(train, train[1:]))
    offsets: dict[float, float] = {}
    if restarted:
        span: dict[float, tuple[float, float]] = {}  # epoch -> (first, last) step_number
        for _, _, st, ep, _ in train:
            lo, hi = span.get(ep, (st, st))
            span[ep] = (min(lo, st), max(hi, st))
        total = 0.0
        for ep in sorted(span):
            offsets[ep] = total
            total += span[ep][1] - span[ep][0] + 1  # counted from 0 or from 1, an epoch has last-first+1 steps
    rows: list[tuple[Optional[int], dict[str, Any]]] = []
    for f, lineno, st, ep, r in parsed:
        row: dict[str, Any] = {"step": st + offsets.get(ep, 0.0), "epoch": ep}
        if "training_loss" in r:
            row["loss"] = r["training_loss"]
        if "validation_loss" in r:
            row["eval_loss"] = r["validation_loss"]
        rows.append((lineno if f == path else None, row))
    rows.sort(key=lambda t: float(t[1]["step"]))
    c = _classify(["step", "epoch", "loss", "eval_loss"], file=file, where_keys="columns", **cols)
    log = _build(rows, c, file=file, fmt="bedrock_csv")
    if restarted:
        notes.append("step_number restarts each epoch in this file; steps were made cumulative")
    log.notes += notes
    return log


_WB_COL = re.compile(r"^(?P<run>.+?) - (?P<key>.+?)(?P<agg>__MIN|__MAX)?$")


def wandb_csv(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """A W&B chart exported as CSV: ``Step`` then ``<run> - <key>`` with ``__MIN``/``__MAX`` band columns.

    Quirks: one chart (one metric) per file, possibly for several runs; the
    ``__MIN``/``__MAX`` columns are the chart's smoothing band, not data; empty
    cells where a run logged nothing at that step. The first run is read.
    """
    header, rows = _csv_rows(path, file)
    runs: dict[str, list[tuple[str, str]]] = {}
    for h in header:
        m = _WB_COL.match(h)
        if m and not m.group("agg"):
            runs.setdefault(m.group("run"), []).append((h, m.group("key")))
    if not runs:
        raise UserError("no '<run> - <metric>' columns in this W&B export", file=file, line=1)
    run = next(iter(runs))
    mapping = {"Step": "step"}
    for col, key in runs[run]:
        k = key.lower()
        mapping[col] = {"train/loss": "loss", "loss": "loss", "train/train_loss": "loss", "eval/loss": "eval_loss",
                        "val/loss": "val_loss", "train/learning_rate": "learning_rate",
                        "train/grad_norm": "grad_norm", "train/epoch": "epoch"}.get(k, k)
    out = [(ln, {mapping[k]: v for k, v in r.items() if k in mapping}) for ln, r in rows]
    c = _classify(list(mapping.values()), file=file, where_keys="columns", **cols)
    log = _build(out, c, file=file, fmt="wandb_csv")
    log.notes.append(f"W&B export: read run {run!r}" + (f" (also in the file: {', '.join(list(runs)[1:])})"
                                                        if len(runs) > 1 else ""))
    return log


def wandb_summary(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """A W&B run's ``wandb-summary.json``: the last value of each metric, not a curve; refused, with what to give."""
    raise UserError("a W&B run summary holds only each metric's last value, not the curve: give the run folder "
                    "(its files/output.log), or export the loss chart from W&B as CSV", file=file)


# --------------------------------------------------------------------------- Mistral fine-tuning job JSON
def mistral_job(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """The Mistral fine-tuning job object (``GET /v1/fine_tuning/jobs/<id>``): ``checkpoints[].metrics``.

    Quirks: checkpoints are listed newest first; each holds ``train_loss``,
    ``valid_loss`` and ``valid_mean_token_accuracy`` at its ``step_number``.
    """
    text = read_text(path)
    try:
        data = json_loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"malformed JSON: {e.msg}", file=file, line=e.lineno, column=e.colno) from None
    cps = data.get("checkpoints") if isinstance(data, dict) else None
    if not isinstance(cps, list) or not cps:
        raise UserError("expected a non-empty 'checkpoints' list", file=file, key="checkpoints")
    rows = []
    for i, cp in enumerate(cps):
        if not isinstance(cp, dict) or not isinstance(cp.get("metrics"), dict):
            raise UserError("expected an object with 'metrics' and 'step_number'", file=file, key=f"checkpoints[{i}]")
        rows.append((None, {"step": cp.get("step_number"), **cp["metrics"]}))
    rows.sort(key=lambda t: float(t[1]["step"] or 0))
    keys = list(dict.fromkeys(k for _, r in rows for k in r))
    c = _classify(keys, file=file, where_keys="metrics keys", **cols)
    return _build(rows, c, file=file, fmt="mistral_job")


# --------------------------------------------------------------------------- Together AI fine-tuning metrics
_TOGETHER_MAP = {"train/global_step": "step", "train/loss": "loss", "eval/loss": "eval_loss",
                 "train/learning_rate": "learning_rate", "train/grad_norm": "grad_norm", "train/epoch": "epoch"}


def together_metrics(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """Together AI's per-step metrics: ``together fine-tuning list-metrics <job> --json`` (a JSON list),
    or the API's ``GET /v1/fine-tunes/<job>/metrics`` body (``{"metrics": [...]}``).

    Quirks: training and evaluation are separate objects, both keyed by
    ``train/global_step`` (an eval object carries ``eval/loss`` and
    ``train/epoch`` only); ``timestamp`` is in nanoseconds and not read; a
    preference (DPO) job adds reward and KL keys under ``train/`` (not read) and
    ``eval/`` (read as eval metrics with their direction).
    """
    text = read_text(path)
    try:
        data = json_loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"malformed JSON: {e.msg}", file=file, line=e.lineno, column=e.colno) from None
    where = "[{i}]"
    if isinstance(data, dict):
        data, where = data.get("metrics"), "metrics[{i}]"
    if not isinstance(data, list) or not data:
        raise UserError("expected a non-empty list of metric objects (or {\"metrics\": [...]})", file=file)
    lines = base._array_lines(text, len(data)) if where == "[{i}]" else _key_lines(text, "metrics", len(data))
    rows = []
    for i, r in enumerate(data):
        line = lines[i] if lines else None
        if not isinstance(r, dict):
            raise UserError(f"expected a JSON object (got {type(r).__name__})", file=file, line=line,
                            key=where.format(i=i))
        if "train/global_step" not in r:
            raise UserError("expected 'train/global_step' in every metric object", file=file, line=line,
                            key=where.format(i=i))
        rows.append((line, {_TOGETHER_MAP.get(k, k): v for k, v in r.items() if k != "timestamp"}))
    keys = list(dict.fromkeys(k for _, r in rows for k in r))
    c = _classify(keys, file=file, where_keys="metric keys", **cols)
    return _build(rows, c, file=file, fmt="together_metrics")


def _key_lines(text: str, key: str, n: int) -> Optional[list[int]]:
    """1-based line of each element of the list under ``key`` (found as ``log_history``'s are)."""
    m = re.search(r'"%s"\s*:\s*\[' % re.escape(key), text)
    if not m:
        return None
    got = base._entry_lines('"log_history": [' + text[m.end():], n)
    off = text.count("\n", 0, m.end())
    return [x + off for x in got] if got else None


def together_events(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """Together's job event log (``list-events``): job states and messages, no loss; refused, with what to give."""
    raise UserError("a Together fine-tuning event log holds the job's events (queued, started, checkpoint saved), "
                    "not the loss curve: save `together fine-tuning list-metrics <job> --json` and give that file",
                    file=file)


# --------------------------------------------------------------------------- TensorBoard event files
EXTRA_HINT = "pip install 'advisor[tensorboard]'"


def tensorboard_events(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """A TensorBoard event file (``events.out.tfevents.*``) through TensorBoard's own reader.

    Quirks: scalars come either as ``simple_value`` (PyTorch's SummaryWriter,
    which the HF Trainer, LLaMA-Factory and axolotl use) or as tensors (TF2);
    tags are ``train/loss``, ``eval/loss``, ``train/learning_rate``... (HF) or
    ``train_loss``/``val_loss`` (Lightning). Needs the optional extra.
    """
    try:
        from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        raise UserError(f"a TensorBoard event file; reading it needs the optional extra: {EXTRA_HINT}",
                        file=file) from None
    by_step: dict[float, dict[str, float]] = {}
    try:
        for ev in LegacyEventFileLoader(str(path)).Load():
            if not ev.HasField("summary"):
                continue
            for v in ev.summary.value:
                if v.HasField("simple_value"):
                    val = float(f"{v.simple_value:.7g}")  # float32 on disk: keep its 7 significant digits
                elif v.HasField("tensor"):
                    arr = tensor_util.make_ndarray(v.tensor)
                    if arr.size != 1:
                        continue
                    val = float(arr.reshape(-1)[0])
                else:
                    continue
                by_step.setdefault(float(ev.step), {})[v.tag] = val
    except Exception as e:  # a truncated or corrupt record: TensorBoard raises its own errors
        raise UserError(f"could not read this TensorBoard event file ({type(e).__name__}: {e})", file=file) from None
    if not by_step:
        raise UserError("no scalar summaries in this TensorBoard event file", file=file)
    rows = [(None, {"step": s, **vals}) for s, vals in sorted(by_step.items())]
    keys = list(dict.fromkeys(k for _, r in rows for k in r))
    c = _classify(keys, file=file, where_keys="tags", **cols)
    return _build(rows, c, file=file, fmt="tensorboard")


def generic(path: Path, file: str, cols: Cols, progress: Optional[Progress] = None) -> TrainingLog:
    """JSON/JSONL/CSV/stdout by content (the shared text readers in :mod:`.base`)."""
    text = read_text(path)
    return base.read_generic(text, file, cols, progress)

