"""The triage runbook as data (``playbooks/triage/runbook.yaml``) and cause ranking.

The YAML holds seed 003's quick-diagnosis patterns (symptoms), its causes
ranked by how often they happen, first checks, fix patterns and "when this is
not the issue", plus the thresholds the detectors use. Each cause lists the
findings that support or contradict it, with a weight; :func:`rank_causes`
combines them (see its docstring). Changing advice means editing the YAML.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.io import LIMITS, load_yaml, validation_error
from advisor.core.triage.models import Cause, Finding
from advisor.errors import UserError

SYMPTOM_IDS = ("worse_general_better_target", "worse_everything", "better_offline_worse_prod",
               "incoherent_outputs", "good_early_worse_later")
CAUSE_IDS = ("catastrophic_forgetting", "data_quality", "overfitting", "learning_rate_too_high",
             "overtraining", "data_too_small", "distribution_mismatch", "eval_not_representative")
# What an "absent" link may require to have been looked at.
Given = Literal["log", "eval_curve", "train", "eval", "probe_general", "probe_shift", "lr", "epochs"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Link(_Strict):
    """A finding that counts for (or against) a cause."""

    finding: str
    """Finding id (e.g. ``eval_loss_rising``)."""
    weight: float = Field(ge=0, le=1)
    """How much this finding moves the confidence (0..1, combined as a noisy-OR)."""
    match: dict[str, Any] = Field(default_factory=dict)
    """Only findings whose evidence has these values count (e.g. ``{kind: eval}``)."""
    absent: bool = False
    """Count the finding's *absence* instead, when the input that would show it was given."""
    needs: Optional[Given] = None
    """For ``absent`` links: which input must have been read for the absence to mean something."""
    text: str = ""
    """Words for an ``absent`` link, shown as evidence."""


class SymptomLink(_Strict):
    """A cause a quick-diagnosis pattern points to."""

    cause: str
    """Cause id."""
    weight: float = Field(ge=0, le=1)
    """How strongly the symptom alone suggests the cause."""


class Symptom(_Strict):
    """One quick-diagnosis pattern: what the user sees and where it usually comes from."""

    id: str
    """Symptom id (docs/formats.md section 3)."""
    title: str
    """What the user observes, in a few words."""
    points_to: list[SymptomLink]
    """Causes this pattern suggests, strongest first."""
    source: str
    """Seed file and section this comes from."""


class CauseSpec(_Strict):
    """One cause: how common it is, how to check it, how to fix it, what rules it out."""

    id: str
    """Cause id (docs/formats.md section 3)."""
    title: str
    """Short name."""
    frequency_rank: int = Field(ge=1)
    """Position in the runbook's by-frequency list (1 = most common); breaks ties."""
    prior: float = Field(ge=0, le=1)
    """Confidence before any evidence, from how common the cause is."""
    explanation: str
    """Why this cause makes a fine-tune worse than its base."""
    first_checks: list[str]
    """Fastest checks first."""
    fixes: list[str]
    """Fix patterns."""
    not_the_issue: list[str] = Field(default_factory=list)
    """Signs that point away from this cause."""
    supported_by: list[Link] = Field(default_factory=list)
    """Findings that raise the confidence."""
    contradicted_by: list[Link] = Field(default_factory=list)
    """Findings (or absences) that lower it."""
    source: str
    """Seed file and section this comes from."""


class Thresholds(_Strict):
    """Numbers the detectors compare against, each traceable to a seed or stated as our choice."""

    lora_lr_min: float = 1e-5
    """Bottom of the LoRA learning-rate range."""
    lora_lr_max: float = 1e-4
    """Top of the LoRA learning-rate range; higher is flagged."""
    full_lr_max: float = 2e-5
    """Highest learning rate accepted for full fine-tuning."""
    max_epochs: int = 3
    """More epochs than this is flagged."""
    near_zero_train_loss: float = 0.02
    """Training loss below this at the end means memorisation."""
    eval_below_train_pct: float = 10.0
    """Eval loss this many percent below train loss, persistently, is a leakage hint."""
    min_train_examples: int = 200
    """Fewer training examples than this is a warning."""
    min_train_examples_error: int = 50
    """Fewer than this is an error."""
    min_eval_examples: int = 50
    """An eval set smaller than this cannot show a regression reliably."""
    near_duplicate_jaccard: float = Field(0.8, gt=0, le=1)
    """MinHash-estimated Jaccard similarity at which two examples are near-duplicates."""
    conflict_input_jaccard: float = Field(0.9, gt=0, le=1)
    """Inputs at least this similar with different outputs are conflicting labels."""
    single_style_share: float = Field(0.5, gt=0, le=1)
    """Share of outputs opening (or closing) the same way that counts as a single style."""
    shift_drop: float = 0.05
    """Probe: a shift-suite drop at least this large (absolute) next to a task gain suggests overfitting."""
    source: str = ""
    """Where these numbers come from."""


class Runbook(_Strict):
    """The whole runbook file."""

    version: int
    """Bumped when the advice changes."""
    title: str
    """Name of the runbook."""
    source: str
    """Main source (seed file)."""
    symptoms: list[Symptom]
    """Quick-diagnosis patterns."""
    causes: list[CauseSpec]
    """Causes, any order (``frequency_rank`` orders them)."""
    general_first_checks: list[str]
    """Checks worth doing whatever the cause, fastest first."""
    when_not_the_issue: list[str]
    """When the fine-tune is fine and the problem is elsewhere."""
    thresholds: Thresholds
    """Detector thresholds."""

    def cause(self, cid: str) -> CauseSpec:
        return next(c for c in self.causes if c.id == cid)

    def symptom(self, sid: str) -> Optional[Symptom]:
        return next((s for s in self.symptoms if s.id == sid), None)


def default_path() -> Path:
    """``runbook.yaml``: the packaged copy in a wheel, else the repo's ``playbooks/triage/``."""
    here = Path(__file__).resolve().parent.parent.parent
    packaged = here / "_data" / "playbooks" / "triage" / "runbook.yaml"
    if packaged.is_file():
        return packaged
    return here.parent / "playbooks" / "triage" / "runbook.yaml"


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Runbook:
    data, lines = load_yaml(path, limit=LIMITS["knowledge"], what="a runbook")
    if not isinstance(data, dict):
        raise UserError("expected a mapping at the top of the runbook", file=path, line=1)
    try:
        rb = Runbook.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file=path, lines=lines, model=Runbook) from None
    _cross_check(rb, path, lines)
    return _cite_by_title(rb)


def _cite_by_title(rb: Runbook) -> Runbook:
    """Sources are written as ids of knowledge/sources.yaml; users see each document's title."""
    import re

    from advisor.core.knowledge import default_dir

    try:
        data, _ = load_yaml(default_dir() / "sources.yaml", limit=LIMITS["knowledge"], what="the sources list")
        titles = {s["id"]: s["title"] for s in data["sources"]}
    except (UserError, KeyError, TypeError):  # the runbook stays usable; ids are shown as written
        return rb
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in titles) + r")\b")

    def cite(text: str) -> str:
        return pattern.sub(lambda m: f"“{titles[m.group(1)]}”", text)

    rb.source = cite(rb.source)
    rb.thresholds.source = cite(rb.thresholds.source)
    for item in list(rb.symptoms) + list(rb.causes):
        item.source = cite(item.source)
    return rb


def load_runbook(path: str | Path | None = None) -> Runbook:
    """Load and validate the runbook.

    Args:
        path: a runbook YAML; default :func:`default_path`.

    Raises:
        UserError: malformed YAML, an unknown key, a missing contract id, or a
            link to a cause that does not exist (file and line named).
    """
    return _load_cached(str(path or default_path()))


def _cross_check(rb: Runbook, path: str, lines: dict) -> None:
    causes = {c.id for c in rb.causes}
    for want, have, what in ((CAUSE_IDS, causes, "cause"), (SYMPTOM_IDS, {s.id for s in rb.symptoms}, "symptom")):
        missing = [x for x in want if x not in have]
        if missing:
            raise UserError(f"the runbook must define every contract {what} id; missing: {', '.join(missing)}",
                            file=path, key=f"{what}s", line=lines.get((f"{what}s",)))
    for i, s in enumerate(rb.symptoms):
        for j, link in enumerate(s.points_to):
            if link.cause not in causes:
                key = ("symptoms", i, "points_to", j, "cause")
                raise UserError(f"unknown cause {link.cause!r}; expected one of: {', '.join(sorted(causes))}",
                                file=path, key=f"symptoms[{i}].points_to[{j}].cause", line=lines.get(key))
    for i, c in enumerate(rb.causes):
        for field in ("supported_by", "contradicted_by"):
            for j, link in enumerate(getattr(c, field)):
                if link.absent and link.needs is None:
                    raise UserError("an 'absent' link needs 'needs' (which input must have been read)",
                                    file=path, key=f"causes[{i}].{field}[{j}]", line=lines.get(("causes", i, field, j)))


_SEVERITY_FACTOR = {"error": 1.0, "warning": 0.8, "info": 0.6}
# A rule of thumb on the settings is a prior: when the run's own curves were read and did not
# bear it out (the detector made it a note), it counts half as much again, so the curves decide.
PRIOR_FACTOR_WITH_CURVES = 0.5


def _matches(f: Finding, link: Link) -> bool:
    return f.id == link.finding and all(f.evidence.get(k) == v for k, v in link.match.items())


def _cite(f: Finding) -> str:
    return f"{f.id} @ {f.where}: {f.detail}"


def rank_causes(rb: Runbook, findings: list[Finding], *, symptom: Optional[str], given: set[str]) -> list[Cause]:
    """Score every runbook cause and rank them.

    Confidence starts at the cause's prior (how common it is) and combines
    the supporting weights as a noisy-OR, ``1 - (1 - prior) * prod(1 - w)``,
    where a finding's weight is scaled by its severity (error 1, warning 0.8,
    info 0.6) and the symptom contributes its own weight. Contradicting
    evidence then multiplies by ``prod(1 - w)``. Ties go to the more common
    cause.

    Args:
        rb: the runbook.
        findings: every finding of this run.
        symptom: the symptom id the user gave, if any.
        given: which inputs were read (``log``, ``eval_curve``, ``train``, ``eval``,
            ``probe_general``, ``probe_shift``, ``lr``, ``epochs``), so an absent
            finding only counts when it could have appeared.

    Returns:
        Every cause, rank 1 first.
    """
    sym = rb.symptom(symptom) if symptom else None
    curves_read = "log" in given
    scored = []
    for spec in rb.causes:
        support: list[tuple[float, str, str]] = []
        against: list[tuple[float, str, str]] = []
        if sym is not None:
            for sl in sym.points_to:
                if sl.cause == spec.id:
                    support.append((sl.weight, f"symptom {sym.id}: {sym.title}; the quick diagnosis points here "
                                               f"({sym.source})", "symptom"))
        for links, bucket in ((spec.supported_by, support), (spec.contradicted_by, against)):
            for link in links:
                if link.absent:
                    if link.needs in given and not any(f.id == link.finding for f in findings):
                        basis = {"log": "curves", "eval_curve": "curves", "train": "data", "eval": "data",
                                 "probe_general": "probe", "probe_shift": "probe"}.get(link.needs, "curves")
                        bucket.append((link.weight, link.text or f"no {link.finding} finding", basis))
                    continue
                hits = [f for f in findings if _matches(f, link)]
                if hits:
                    f = max(hits, key=lambda h: _SEVERITY_FACTOR[h.severity])
                    more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
                    w = link.weight * _SEVERITY_FACTOR[f.severity]
                    if f.basis == "rule_of_thumb" and curves_read and f.severity == "info":
                        w *= PRIOR_FACTOR_WITH_CURVES
                    bucket.append((w, _cite(f) + more, f.basis))
        keep = 1.0 - spec.prior
        for w, _, _ in support:
            keep *= 1.0 - w
        conf = 1.0 - keep
        for w, _, _ in against:
            conf *= 1.0 - w
        conf = min(0.99, max(0.01, conf))
        scored.append((conf, spec, support, against))
    scored.sort(key=lambda t: (-round(t[0], 6), t[1].frequency_rank))
    out = []
    for rank, (conf, spec, support, against) in enumerate(scored, start=1):
        support = sorted(support, key=lambda x: -x[0])
        rests: dict[str, float] = {}
        for w, _, basis in support:
            rests[basis] = rests.get(basis, 0.0) + w
        out.append(Cause(
            id=spec.id, rank=rank, confidence=round(conf, 3), title=spec.title,
            evidence=[t for _, t, _ in support],
            evidence_against=[t for _, t, _ in sorted(against, key=lambda x: -x[0])],
            first_checks=list(spec.first_checks), fixes=list(spec.fixes),
            not_the_issue=list(spec.not_the_issue), source=spec.source,
            rests_on=sorted(rests, key=lambda b: -rests[b]) or ["prior"],
        ))
    return out
