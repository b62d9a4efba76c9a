"""Triage a fine-tuned model that came out worse than its base (docs/triage.md; output in docs/formats.md section 3).

Module map:

* :mod:`~advisor.core.triage.logs` - training-log readers (HF trainer_state / stdout, OpenAI and Lightning CSV, generic)
* :mod:`~advisor.core.triage.detectors` - noise-robust curve detectors, settings checks, best checkpoint
* :mod:`~advisor.core.triage.numeric` - the detectors' array operations in plain Python (numpy's rounding)
* :mod:`~advisor.core.triage.data` - streaming dataset checks (formats, duplicates, conflicts, leakage, style)
* :mod:`~advisor.core.triage.probe_input` - findings from a probe result
* :mod:`~advisor.core.triage.runbook` - the runbook as the ranking reads it (cached once validated), cause ranking
* :mod:`~advisor.core.triage.runbook_model` - the pydantic models that validate the runbook YAML
* :mod:`~advisor.core.triage.models` - report dataclasses and the contract JSON
* :mod:`~advisor.core.triage.contract` - the pydantic models a report read back is validated with
* :mod:`~advisor.core.triage.render` - markdown from the JSON (record section, md report)
* :mod:`~advisor.core.triage.engine` - :func:`run_triage`

Headless: nothing here imports a UI.
"""

from advisor.core.triage.engine import run_triage
from advisor.core.triage.models import BestCheckpoint, Cause, Curve, Finding, TriageReport
from advisor.core.triage.render import record_section, render_markdown

__all__ = ["BestCheckpoint", "Cause", "Curve", "Finding", "TriageReport", "record_section", "render_markdown", "run_triage"]
