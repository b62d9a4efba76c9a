"""``--log out/``: find what a trainer left in a folder, pick the freshest log, and say why.

Candidates, by what each trainer writes:

* ``trainer_state.json`` (the Trainer's final state) and ``checkpoint-*/trainer_state.json``
  (one per saved checkpoint: only the newest is complete);
* ``trainer_log.jsonl`` (LLaMA-Factory, every logging step);
* ``runs/**/events.out.tfevents.*`` (TensorBoard, read with the optional extra);
* ``README.md`` with a Training results table (a Hub model card);
* ``files/output.log`` or ``wandb/latest-run/files/output.log`` (a W&B run folder);
* ``step_wise_training_metrics.csv`` (Bedrock), ``logs/log_*.txt`` (torchtune), ``metrics.csv``.

Each candidate is read; the one whose last logged step is furthest along
wins (ties: the order above, which prefers the richer file). The choice and
every skipped candidate, with its last step, go into the log's notes, so a
stale file is never picked silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from advisor.core.triage.logs.base import TrainingLog
from advisor.core.triage.progress import Progress
from advisor.errors import UserError


def _step_of(p: Path) -> int:
    try:
        return int(p.parent.name.split("-", 1)[1])
    except (IndexError, ValueError):
        return -1


def candidates(folder: Path) -> list[tuple[Path, str]]:
    """Log files in ``folder`` with why each is one, in preference order."""
    out: list[tuple[Path, str]] = []
    top = folder / "trainer_state.json"
    if top.is_file():
        out.append((top, "the Trainer's final state"))
    cps = sorted(folder.glob("checkpoint-*/trainer_state.json"), key=_step_of, reverse=True)
    if cps:
        out.append((cps[0], f"the newest of {len(cps)} checkpoint(s)"))
    for name, why in (("trainer_log.jsonl", "LLaMA-Factory's step log"),
                      ("step_wise_training_metrics.csv", "Bedrock's training metrics"),
                      ("metrics.csv", "a metrics CSV")):
        if (folder / name).is_file():
            out.append((folder / name, why))
    for wb in (folder / "files" / "output.log", folder / "wandb" / "latest-run" / "files" / "output.log"):
        if wb.is_file():
            out.append((wb, "a W&B run's console output"))
    tt = sorted(list(folder.glob("log_*.txt")) + list(folder.glob("logs/log_*.txt")), key=lambda p: p.stat().st_mtime)
    if tt:
        out.append((tt[-1], "torchtune's newest log"))
    ev = sorted(list(folder.glob("runs/**/events.out.tfevents.*")) + list(folder.glob("events.out.tfevents.*")),
                key=lambda p: p.stat().st_mtime)
    if ev:
        out.append((ev[-1], f"the newest of {len(ev)} TensorBoard event file(s)"))
    card = folder / "README.md"
    if card.is_file():
        out.append((card, "the model card"))
    return out


def read_folder(folder: Path, file: str, cols: dict, read_file, progress: Optional[Progress] = None) -> TrainingLog:
    """Read the freshest log in ``folder`` (see the module docstring).

    Raises:
        UserError: no candidate, or none readable (each candidate's error named).
    """
    cands = candidates(folder)
    if not cands:
        raise UserError("is a directory with no training log in it: looked for trainer_state.json, checkpoint-*/trainer_state.json, "
                        "trainer_log.jsonl, runs/**/events.out.tfevents.*, README.md (model card), files/output.log "
                        "(W&B), step_wise_training_metrics.csv, log_*.txt, metrics.csv", file=file)
    read: list[tuple[TrainingLog, Path, str]] = []
    errors: list[str] = []
    for p, why in cands:
        try:
            log = read_file(p, str(p), cols, progress)
        except UserError as e:
            errors.append(f"{p.relative_to(folder)} ({why}) skipped: {e.message}")
            continue
        read.append((log, p, why))
    if not read:
        raise UserError("no readable training log in this folder: " + "; ".join(errors), file=file)

    def last(log: TrainingLog) -> float:
        pts = [s.points[-1].step for s in [log.train_loss, *log.eval_loss.values()] if s.points]
        return max(pts) if pts else -1.0

    best = max(range(len(read)), key=lambda i: (last(read[i][0]), -i))
    log, p, why = read[best]
    log.notes.insert(0, f"read {p.relative_to(folder)} from the folder: {why}, logged up to step {last(log):g}")
    for i, (other, q, w) in enumerate(read):
        if i != best:
            log.notes.append(f"also found {q.relative_to(folder)} ({w}, up to step {last(other):g}): not used"
                             + (", it stops earlier" if last(other) < last(log) else ", this one is preferred"))
    log.notes += errors
    return log
