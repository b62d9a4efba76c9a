"""Training-log readers: one :class:`TrainingLog` from whatever the trainer wrote.

* :mod:`.table` - the one table of formats (recognise, read, quirks, fixture) that detection,
  docs/triage.md and ``--help`` all read;
* :mod:`.base` - points, series, column guesses, and the shared text readers (JSON/JSONL/CSV/stdout);
* :mod:`.readers` - one small reader per further format; :mod:`.stream` - ``trainer_state.json``
  entry by entry; :mod:`.folder` - ``--log out/``.

Every point keeps its 1-based line in the file so findings can cite
``file:line``. Anything unreadable raises :class:`~advisor.errors.UserError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from advisor.core.triage.logs.base import Point, Series, TrainingLog, _fmt_step, metric_direction
from advisor.core.triage.logs.table import FORMATS, LogFormat, read_file, read_names
from advisor.core.triage.progress import Progress

__all__ = ["FORMATS", "LogFormat", "Point", "Series", "TrainingLog", "_fmt_step", "metric_direction", "read_log",
           "read_names"]


def read_log(path: str | Path, *, step_col: Optional[str] = None, loss_col: Optional[str] = None,
             eval_col: Optional[str] = None, progress: Optional[Progress] = None) -> TrainingLog:
    """Read a training log (a file, or a folder a trainer wrote), detecting the format from the content.

    Args:
        path: the log file, or the trainer's output folder.
        step_col: column/key holding the step (overrides the guess).
        loss_col: column/key holding the training loss.
        eval_col: column/key holding the eval loss.
        progress: told how far into a big file the reading is.

    Returns:
        The parsed :class:`TrainingLog`.

    Raises:
        UserError: the file is missing, malformed, of no format that is read, or
            has no loss values; the message names the file, the line and what was expected.
    """
    from advisor.core.triage.logs.folder import read_folder

    import os
    import stat

    from advisor.core.io import os_error

    p = Path(path)
    cols = {"step_col": step_col, "loss_col": loss_col, "eval_col": eval_col}
    try:
        is_dir = stat.S_ISDIR(os.stat(p).st_mode)
    except FileNotFoundError:
        is_dir = False  # the reader says "file not found"
    except OSError as e:
        raise os_error(e, str(path)) from None
    if is_dir:
        return read_folder(p, str(path), cols, read_file, progress)
    return read_file(p, str(path), cols, progress)
