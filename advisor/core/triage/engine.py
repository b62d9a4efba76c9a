"""One triage run end to end: read what was given, detect, rank, report.

Only what a log needs is imported up front: the dataset checks (numpy) and
the probe reader load when ``train``/``eval`` or ``probe`` is given, so a
triage of a log alone starts fast (``tests/triage/test_startup.py``).
"""

from __future__ import annotations

import math

from pathlib import Path
from typing import Optional

from advisor.core.triage import detectors
from advisor.core.triage.logs import read_log
from advisor.core.triage.models import SEVERITY_ORDER, TriageReport
from advisor.core.triage.render import DETAILED_CAUSES
from advisor.core.triage.progress import Progress
from advisor.core.triage.runbook import SYMPTOM_IDS, load_runbook, rank_causes
from advisor.errors import UserError


def run_triage(
    *,
    log: Optional[str | Path] = None,
    train: Optional[str | Path] = None,
    eval: Optional[str | Path] = None,  # noqa: A002 - mirrors --eval
    symptom: Optional[str] = None,
    lr: Optional[float] = None,
    epochs: Optional[float] = None,
    method: Optional[str] = None,
    probe: Optional[str | Path] = None,
    step_col: Optional[str] = None,
    loss_col: Optional[str] = None,
    eval_col: Optional[str] = None,
    runbook: Optional[str | Path] = None,
    progress: Optional[Progress] = None,
    fields: Optional[str] = None,
) -> TriageReport:
    """Triage a fine-tune from whatever it left behind.

    Args:
        log: training log (trainer_state.json, metrics CSV, Trainer stdout, JSONL).
        train: training dataset (JSONL or JSON array).
        eval: eval dataset; with ``train``, checked for leakage.
        symptom: one of the runbook's symptom ids.
        lr: learning rate used (overrides the log's).
        epochs: epochs trained (overrides the log's).
        method: ``full`` or ``lora``.
        probe: an ``advisor probe --format json`` result.
        step_col: log column holding the step.
        loss_col: log column holding the training loss.
        eval_col: log column holding the eval loss.
        runbook: a runbook YAML instead of the packaged one.
        progress: told how far reading the log and the dataset checks got (big files take seconds).
        fields: ``--fields prompt=KEY,completion=KEY[,system=KEY,rejected=KEY]``: read the datasets
            through this mapping instead of detecting their format.

    Returns:
        The :class:`TriageReport`: findings (errors first), ranked causes,
        best checkpoint and curves.

    Raises:
        UserError: no input at all, an unknown symptom or method, or an
            unreadable file (the message names file and line).
    """
    if not any((log, train, eval, symptom, lr is not None, epochs is not None, probe)):
        raise UserError("nothing to triage: give at least one of --log, --train, --eval, --symptom, --lr, --epochs, "
                        "--probe (e.g. `advisor triage --log trainer_state.json --train train.jsonl`)")
    if symptom is not None and symptom not in SYMPTOM_IDS:
        raise UserError(f"unknown symptom {symptom!r}; expected one of: {', '.join(SYMPTOM_IDS)}")
    if method is not None and method not in ("full", "lora"):
        raise UserError(f"unknown method {method!r}; expected full or lora")
    # finite: `--lr inf` and `--lr nan` parse as floats but are no learning rate
    if lr is not None and not (lr > 0 and math.isfinite(lr)):
        raise UserError(f"--lr: expected a learning rate > 0 (got {lr})")
    if epochs is not None and not (epochs > 0 and math.isfinite(epochs)):
        raise UserError(f"--epochs: expected a number of epochs > 0 (got {epochs})")
    rb = load_runbook(runbook)
    th = rb.thresholds
    findings = []
    given: set[str] = set()
    inputs: dict = {"symptom": symptom, "lr": lr, "epochs": epochs, "method": method}
    tlog = None
    if log:
        tlog = read_log(log, step_col=step_col, loss_col=loss_col, eval_col=eval_col, progress=progress)
        given.add("log")
        if tlog.primary_eval() is not None:
            given.add("eval_curve")
        log_findings = detectors.detect_log(tlog, th)
        findings += log_findings
        inputs["log"] = {"path": str(log), "format": tlog.format, "train_points": len(tlog.train_loss.points),
                         "eval_sets": {k: len(s.points) for k, s in tlog.eval_loss.items()},
                         "metrics": sorted(tlog.metrics), "notes": tlog.notes,
                         "x_label": tlog.x_label}
    else:
        log_findings = []
    settings = detectors.detect_settings(tlog, lr=lr, epochs=epochs, method=method, th=th, log_findings=log_findings)
    for f in settings:
        f.basis = "rule_of_thumb"
    findings += settings
    if lr is not None or (tlog and tlog.learning_rate.points):
        given.add("lr")
    if epochs is not None or (tlog and tlog.max_epoch is not None):
        given.add("epochs")
    datasets = {}
    if train or eval:
        from advisor.core.triage import data as data_mod

        f, datasets = data_mod.check_datasets(str(train) if train else None, str(eval) if eval else None, th,
                                              progress, data_mod.parse_fields(fields))
        for x in f:
            x.basis = "data"
        findings += f
        if train:
            given.add("train")
            inputs["train"] = {"path": str(train), "format": datasets["train"]["format"]}
        if eval:
            inputs["eval"] = {"path": str(eval), "format": datasets["eval"]["format"]}
            if train:
                given.add("eval")
    if probe:
        from advisor.core.triage.probe_input import probe_findings, read_probe

        pdata = read_probe(str(probe))
        f, g = probe_findings(pdata, str(probe), th)
        for x in f:
            x.basis = "probe"
        findings += f
        given |= g
        inputs["probe"] = {"path": str(probe), "suites": [s.get("id") for s in pdata["suites"]]}
    findings.sort(key=lambda x: SEVERITY_ORDER[x.severity])  # stable: detector order kept within a severity
    causes = rank_causes(rb, findings, symptom=symptom, given=given)
    _one_direction(findings, causes)
    return TriageReport(
        causes=causes, findings=findings, best_checkpoint=detectors.best_checkpoint(tlog),
        curves=detectors.curves(tlog), symptom=symptom, inputs=inputs, datasets=datasets,
    )


MORE_STEPS = "more steps may help before overfitting sets in."


def _one_direction(findings: list, causes: list) -> None:
    """A report never advises both "trained too long" and "more steps may help".

    ``still_improving`` on an eval curve says more steps may help. If the ranking
    still puts overtraining among the causes it details (the symptom or the
    epoch count outweighed the curve), the finding keeps its numbers but stops
    advising more steps, and says what to check instead.
    """
    top = [c.id for c in causes[:DETAILED_CAUSES]]
    if "overtraining" not in top:
        return
    for f in findings:
        if f.id == "still_improving" and MORE_STEPS in f.detail:
            f.detail = f.detail.replace(
                MORE_STEPS, "yet overtraining ranks among the likely causes here, so compare an earlier checkpoint "
                "with the last one before training longer.")
