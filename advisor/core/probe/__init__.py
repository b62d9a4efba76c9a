"""Probe evals: measure base vs candidate models before deciding (docs/probe.md).

Module map:

* :mod:`~advisor.core.probe.config` - the ``probe.yaml`` model and the eval-set reader
* :mod:`~advisor.core.probe.suites` - cases for task, shift, general, knowledge, format
* :mod:`~advisor.core.probe.perturb` - deterministic input perturbations (shift suite)
* :mod:`~advisor.core.probe.scorers` - exact, normalized, contains, regex, choice, numeric, json_valid, json_schema, judge
* :mod:`~advisor.core.probe.stats` - mean/std, paired bootstrap CI, exact McNemar, verdicts
* :mod:`~advisor.core.probe.cache` - the sqlite response cache (resume lives here)
* :mod:`~advisor.core.probe.runner` - async litellm calls: limit, timeout, retries, budget, progress
* :mod:`~advisor.core.probe.engine` - one run end to end -> the docs/formats.md section 4 JSON
* :mod:`~advisor.core.probe.report` - JSON -> markdown/text, the record's Evidence section, evidence facts

Headless: nothing here imports a UI, and litellm is imported only when a
request is about to be sent.
"""

from advisor.core.probe.report import evidence_facts, record_section, render_markdown, render_text

__all__ = ["evidence_facts", "record_section", "render_markdown", "render_text"]
