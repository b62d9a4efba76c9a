"""The one table of training-log formats: how each is recognised, which reader reads it, its quirks, its fixture.

Detection walks :data:`FORMATS` in order and gives the file to the first
format whose ``recognise`` claims it (from the name and the first 64 KiB,
never the extension alone); docs/triage.md and ``advisor triage --help`` are
written from the same table (a test keeps them in step). A file no format
claims, and that the generic JSON/CSV reader cannot read either, is exit 2
naming the file and every format that is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from advisor.core.triage.logs import readers
from advisor.core.triage.logs.base import _LF_KEYS, _STDOUT_DICT, TrainingLog, _csv, _llamafactory, log_text
from advisor.core.triage.progress import Progress
from advisor.core.io import LIMITS, json_loads, os_error, read_bytes
from advisor.errors import UserError

HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class Sniff:
    """What recognisers look at: the file's name and its first 64 KiB."""

    path: Path
    name: str
    head: str
    binary: bool
    raw: bytes = b""

    @property
    def first_line(self) -> str:
        return self.head.lstrip().split("\n", 1)[0]

    @property
    def header(self) -> list[str]:
        """The first line split as CSV (lower-cased, unquoted)."""
        import csv

        try:
            return [h.strip().lower() for h in next(csv.reader([self.first_line]))]
        except (StopIteration, csv.Error):
            return []


@dataclass(frozen=True)
class LogFormat:
    """One format: its id (``inputs.log.format``), who writes it, how it is recognised, its reader and quirks."""

    id: str
    title: str
    recognised_by: str
    quirks: str
    fixture: str
    recognise: Callable[[Sniff], bool]
    read: Callable[..., TrainingLog]


def _json_first(s: Sniff) -> Optional[dict]:
    try:
        v = json_loads(s.first_line)
    except json.JSONDecodeError:
        return None
    return v if isinstance(v, dict) else None


def _lf(path, file, cols, progress=None):
    return _llamafactory(log_text(path), file, progress, **cols)


def _csv_known(path, file, cols, progress=None):
    return _csv(log_text(path), file, **cols)


_MLX_RE = re.compile(r"^Iter \d+: (?:Train|Val) loss ", re.M)
_TT_RE = re.compile(r"^Step \d+ \| \w+:", re.M)
_CARD_RE = re.compile(r"^#{2,4}\s*Training results\s*$", re.M | re.I)

FORMATS: tuple[LogFormat, ...] = (
    LogFormat(
        "tensorboard", "TensorBoard event file (HF Trainer, LLaMA-Factory, axolotl, torchtune, Lightning)",
        "the name `events.out.tfevents.*`, or a binary file",
        "read with TensorBoard's own reader, the optional extra `pip install 'advisor[tensorboard]'` (without it: "
        "exit 2 naming the extra); scalars as `simple_value` (PyTorch) or tensors (TF2); HF tags `train/loss`, "
        "`eval/loss`, `train/learning_rate`, `train/grad_norm`, Lightning's `train_loss`/`val_loss`; no line numbers, "
        "findings cite the step",
        "formats/tensorboard/runs/Dec02_10-00-00_host/events.out.tfevents.1733133600.host.4242.0", lambda s: s.name.startswith("events.out.tfevents") or b"brain.Event" in s.raw[:128],
        readers.tensorboard_events),
    LogFormat(
        "hf_trainer_state", "Hugging Face Trainer `trainer_state.json`",
        "a JSON object with `log_history`",
        "read entry by entry in bounded memory; the bare `NaN`/`Infinity` tokens the Trainer writes are kept as "
        "non-finite values (and reported); eval keys renamed per set (`eval_<set>_loss`) give one eval curve per "
        "set; other eval metrics (`eval_accuracy`, `eval_<set>_wer`...) are kept with their direction; the "
        "end-of-training summary row is not a point; runtime and throughput keys are dropped",
        "logs/hf_healthy/trainer_state.json",
        lambda s: s.head.lstrip().startswith("{") and '"log_history"' in s.head, readers.trainer_state),
    LogFormat(
        "wandb_summary", "W&B `wandb-summary.json` (refused with a pointer)",
        "a JSON object with `_wandb` or `_runtime` and `_step`",
        "holds only each metric's last value, no curve: exit 2 saying to give the run folder (its "
        "`files/output.log`) or a chart's CSV export instead",
        "formats/wandb_run/files/wandb-summary.json",
        lambda s: s.head.lstrip().startswith("{") and '"_step"' in s.head and ('"_runtime"' in s.head or '"_wandb"' in s.head),
        readers.wandb_summary),
    LogFormat(
        "llamafactory_jsonl", "LLaMA-Factory `trainer_log.jsonl`",
        "JSONL whose rows have `current_steps` and `total_steps`",
        "the step is `current_steps`, the learning rate `lr`; LLaMA-Factory drops every falsy value, so a training "
        "line (it has `lr`) without `loss` logged exactly 0.0 and is read as 0.0 (with a note); lines written twice "
        "are dropped; a run restarted into the same folder (steps going back) keeps only the last run, with a note; "
        "the end-of-training line with no loss is skipped",
        "formats/llamafactory/trainer_log.jsonl", lambda s: _LF_KEYS <= set(_json_first(s) or ()), _lf),
    LogFormat(
        "mistral_job", "Mistral fine-tuning job (`GET /v1/fine_tuning/jobs/<id>` saved as JSON)",
        "a JSON object with `checkpoints` holding `metrics` and `step_number`",
        "checkpoints are listed newest first and are sorted by step; `train_loss`, `valid_loss` and "
        "`valid_mean_token_accuracy`; no line numbers",
        "formats/mistral/job.json",
        lambda s: s.head.lstrip().startswith("{") and '"checkpoints"' in s.head and '"step_number"' in s.head,
        readers.mistral_job),
    LogFormat(
        "together_metrics", "Together AI fine-tuning metrics (`together fine-tuning list-metrics <job> --json`, "
        "or the API's `GET /v1/fine-tunes/<job>/metrics`)",
        "JSON objects keyed by `train/global_step` (a list, or under `metrics`)",
        "training and eval steps are separate objects with the same `train/global_step`; `train/loss`, "
        "`train/grad_norm`, `train/learning_rate`, `train/epoch` and `eval/loss` are read, other `eval/*` keys (DPO "
        "rewards) become eval metrics; `timestamp` (nanoseconds) is not read",
        "formats/together/metrics.json",
        lambda s: s.head.lstrip()[:1] in ("[", "{") and '"train/global_step"' in s.head and '"log_history"' not in s.head,
        readers.together_metrics),
    LogFormat(
        "together_events", "Together AI fine-tuning event log (`list-events`; refused with a pointer)",
        "JSON objects with `\"object\": \"fine-tune-event\"`",
        "job events (queued, started, checkpoint saved) and no loss: exit 2 saying to save "
        "`together fine-tuning list-metrics <job> --json` instead",
        "formats/together/events.json",
        lambda s: '"fine-tune-event"' in s.head and '"train/global_step"' not in s.head, readers.together_events),
    LogFormat(
        "hf_model_card", "Hugging Face model card (`README.md` of a Hub model) Training results table",
        "a `## Training results` heading followed by a table",
        "one row per evaluation (`Training Loss | Epoch | Step | Validation Loss | <metrics>`); `No log` where the "
        "training loss had not been logged yet is an empty cell, not a zero; metric columns become eval metrics",
        "formats/model_card/README.md", lambda s: bool(_CARD_RE.search(s.head)) and "|" in s.head, readers.model_card),
    LogFormat(
        "mlx_stdout", "MLX-LM (`mlx_lm.lora`) output",
        "lines `Iter N: Train loss X, ...` / `Iter N: Val loss X, ...`",
        "the first validation comes before any training line; `Learning Rate` is read when printed; other lines "
        "(`Saved adapter weights`, `Test loss`) are skipped",
        "formats/mlx/train.log", lambda s: bool(_MLX_RE.search(s.head)), readers.mlx_stdout),
    LogFormat(
        "torchtune_log", "torchtune `log_<time>.txt` (DiskLogger)",
        "lines `Step N | loss:X lr:Y ...`",
        "space-separated `name:value` pairs after the step; `val_loss` lines for the same step are eval points",
        "formats/torchtune/log_1733130000.txt", lambda s: bool(_TT_RE.search(s.head)), readers.torchtune_log),
    LogFormat(
        "hf_stdout", "Hugging Face Trainer output (the console, or a W&B run's `files/output.log`)",
        "the `{'loss': ..., 'epoch': ...}` dict lines among progress bars and warnings",
        "those lines carry no step, so the x axis is the logging event (1, 2, ...), and the report says so",
        "logs/hf_stdout.log", lambda s: bool(_STDOUT_DICT.search(s.head)) and not s.head.lstrip().startswith("{"),
        readers.generic),
    LogFormat(
        "bedrock_csv", "Amazon Bedrock `step_wise_training_metrics.csv` / `validation_metrics.csv`",
        "a header with `step_number` and `training_loss` or `validation_loss`",
        "give either file: the other, beside it, is merged in; `step_number` that restarts each epoch is made "
        "cumulative, with a note",
        "formats/bedrock/step_wise_training_metrics.csv",
        lambda s: "step_number" in s.header and ({"training_loss", "validation_loss"} & set(s.header)),
        readers.bedrock_csv),
    LogFormat(
        "wandb_csv", "W&B chart export (CSV) - also how Together runs' metrics (logged to W&B) are exported",
        "a `Step` column and `<run> - <metric>` columns",
        "one metric per file, possibly for several runs (the first is read, the others named in a note); the "
        "`__MIN`/`__MAX` band columns are not data; empty cells where a run logged nothing",
        "formats/wandb/export.csv",
        lambda s: "step" in s.header and any(" - " in h for h in s.header), readers.wandb_csv),
    LogFormat(
        "keras_csv", "Keras `CSVLogger`",
        "a header starting with `epoch` and a `loss` column, no step column",
        "one row per epoch, so the x axis is the epoch; the CSV counts epochs from 0, shown from 1 like Keras's "
        "progress bar",
        "formats/keras/training.csv",
        lambda s: s.header[:1] == ["epoch"] and "loss" in s.header and not ({"step", "global_step"} & set(s.header)),
        readers.keras_csv),
    LogFormat(
        "openai_csv", "OpenAI fine-tuning metrics CSV (the job's result file)",
        "a header with `full_valid_loss`, or `train_accuracy` and `valid_loss`",
        "`valid_loss` (one batch per step: very noisy) and `full_valid_loss` (the whole validation file, a few "
        "steps) are separate curves; the best checkpoint prefers `full_valid`; empty cells where a value was not "
        "computed", "logs/openai_metrics.csv",
        lambda s: "full_valid_loss" in s.header or {"train_accuracy", "valid_loss"} <= set(s.header), _csv_known),
    LogFormat(
        "lightning_csv", "PyTorch Lightning `metrics.csv` (CSVLogger)",
        "`*_step` / `*_epoch` columns, or `val_loss`, `epoch` and `step`",
        "train and validation rows are interleaved with the other cells empty; epochs are counted from 0",
        "logs/lightning_metrics.csv",
        lambda s: any(h.endswith(("_step", "_epoch")) for h in s.header) or {"val_loss", "epoch", "step"} <= set(s.header),
        _csv_known),
    LogFormat(
        "jsonl", "any JSONL rows with a step and a loss (also `json`: a JSON array of rows; `csv`: any CSV)",
        "one JSON object a line, a JSON array of objects, or a CSV header row",
        "column guesses: step `step`, `global_step`, `iteration`, `iter`...; training loss `loss`, `train_loss`...; "
        "eval loss `eval_loss`, `val_loss`, `valid_loss`, `<eval|val|valid>_<set>_loss`...; name them with "
        "`--step-col/--loss-col/--eval-col`; a last line cut off mid-write is skipped with a note",
        "logs/noisy_eval.jsonl", lambda s: True, readers.generic),
)

BY_ID = {f.id: f for f in FORMATS}


def read_names() -> str:
    """The formats that are read, for error messages and ``--help`` (one phrase each)."""
    return "; ".join(f.title for f in FORMATS)


def markdown_table() -> str:
    """The formats as the markdown table docs/triage.md carries (a test keeps the two identical)."""
    out = ["| format (`inputs.log.format`) | written by | recognised by | quirks handled | fixture |",
           "|---|---|---|---|---|"]
    for f in FORMATS:
        out.append(f"| `{f.id}` | {f.title} | {f.recognised_by} | {f.quirks} | `tests/data/triage/{f.fixture}` |")
    return "\n".join(out)


def help_lines() -> str:
    """The formats for ``advisor triage --help``: id and who writes it, one a line."""
    return "log formats read (--log FILE or a trainer's output folder):\n" + "\n".join(
        f"  {f.id:19} {f.title.replace('`', '')}" for f in FORMATS) + "\nunrecognised files are exit 2; docs/triage.md has each format's quirks"


def sniff(path: Path) -> Sniff:
    """Name and first 64 KiB of ``path`` (a regular file: :func:`read_file` has checked)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(HEAD_BYTES)
    except OSError as e:
        raise os_error(e, str(path)) from None
    binary = b"\x00" in raw[:4096]
    try:
        head = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(raw) - 4:  # a multibyte character cut by the 64 KiB boundary
            head = raw[: e.start].decode("utf-8", errors="replace")
        else:
            head, binary = "", True
    return Sniff(path=path, name=path.name, head=head, binary=binary, raw=raw[:256])


def detect(path: Path) -> LogFormat:
    """The first format in :data:`FORMATS` that claims the file."""
    s = sniff(path)
    if not s.binary and not s.head.strip():
        raise UserError("empty file, expected a training log", file=str(path))
    for f in FORMATS:
        if f.recognise(s):
            return f
    raise AssertionError("the generic reader claims every file")


def read_file(path: Path, file: str, cols: dict, progress: Optional[Progress] = None) -> TrainingLog:
    """Read one log file with the reader its content calls for.

    Raises:
        UserError: unreadable, malformed or unrecognised; an unrecognised file's
            message lists the formats that are read.
    """
    import os
    import stat
    import tempfile

    try:
        st = os.stat(path)
    except OSError as e:
        raise os_error(e, file) from None
    if not stat.S_ISREG(st.st_mode):
        # A pipe (<(...)) can be read once: bounded into a temporary file, then read like any other.
        # Anything else that is not a regular file is refused by the shared reader, with its reason.
        data = read_bytes(path, limit=LIMITS["log"], what="a training log")
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "log"
            copy.write_bytes(data)
            return read_file(copy, file, cols, progress)
    if st.st_size > LIMITS["log"]:
        raise UserError(f"larger than the {LIMITS['log'] // (1024 * 1024)} MiB limit for a training log "
                        "(docs/limits.md)", file=file)
    fmt = detect(path)
    try:
        return fmt.read(path, file, cols, progress)
    except UserError as e:
        if "could not recognise the log format" in e.message or "not UTF-8 text" in e.message:
            raise UserError(f"{e.message}; the formats read are: {read_names()} (docs/triage.md)",
                            file=e.file, line=e.line) from None
        raise
