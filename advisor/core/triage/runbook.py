"""The triage runbook as data (``playbooks/triage/runbook.yaml``) and cause ranking.

The YAML holds the quick-diagnosis patterns (symptoms) of the source "Debug:
Fine-Tuned Model Worse Than Base" (``worse-than-base-runbook`` in
knowledge/sources.yaml), its causes
ranked by how often they happen, first checks, fix patterns and "when this is
not the issue", plus the thresholds the detectors use. Each cause lists the
findings that support or contradict it, with a weight; :func:`rank_causes`
combines them (see its docstring). Changing advice means editing the YAML.

A runbook is validated by the pydantic models of
:mod:`advisor.core.triage.runbook_model` the first time it is read; the
validated form is cached (:func:`cache_dir`), so later runs read plain JSON
into the dataclasses below and import neither pydantic nor a YAML parser.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from advisor.core.io import LIMITS, parse_yaml, read_text, validation_error
from advisor.core.triage.models import Cause, Finding
from advisor.errors import UserError

SYMPTOM_IDS = ("worse_general_better_target", "worse_everything", "better_offline_worse_prod",
               "incoherent_outputs", "good_early_worse_later")
CAUSE_IDS = ("catastrophic_forgetting", "data_quality", "overfitting", "learning_rate_too_high",
             "overtraining", "data_too_small", "distribution_mismatch", "eval_not_representative")


# The runbook as the ranking reads it: the fields of the pydantic models in
# advisor.core.triage.runbook_model (which say what each one means), filled from a validated file.

@dataclass
class Link:
    """A finding that counts for (or against) a cause."""

    finding: str
    weight: float
    match: dict[str, Any]
    absent: bool
    needs: Optional[str]
    text: str


@dataclass
class SymptomLink:
    """A cause a quick-diagnosis pattern points to."""

    cause: str
    weight: float


@dataclass
class Symptom:
    """One quick-diagnosis pattern: what the user sees and where it usually comes from."""

    id: str
    title: str
    points_to: list[SymptomLink]
    source: str


@dataclass
class CauseSpec:
    """One cause: how common it is, how to check it, how to fix it, what rules it out."""

    id: str
    title: str
    frequency_rank: int
    prior: float
    explanation: str
    first_checks: list[str]
    fixes: list[str]
    not_the_issue: list[str]
    supported_by: list[Link]
    contradicted_by: list[Link]
    source: str


@dataclass
class Thresholds:
    """Numbers the detectors compare against, each traceable to a seed or stated as our choice."""

    lora_lr_min: float = 1e-5
    lora_lr_max: float = 1e-4
    full_lr_max: float = 2e-5
    max_epochs: int = 3
    near_zero_train_loss: float = 0.02
    eval_below_train_pct: float = 10.0
    min_train_examples: int = 200
    min_train_examples_error: int = 50
    min_eval_examples: int = 50
    near_duplicate_jaccard: float = 0.8
    conflict_input_jaccard: float = 0.9
    single_style_share: float = 0.5
    shift_drop: float = 0.05
    source: str = ""


@dataclass
class Runbook:
    """The whole runbook file."""

    version: int
    title: str
    source: str
    symptoms: list[Symptom]
    causes: list[CauseSpec]
    general_first_checks: list[str]
    when_not_the_issue: list[str]
    thresholds: Thresholds

    def cause(self, cid: str) -> CauseSpec:
        return next(c for c in self.causes if c.id == cid)

    def symptom(self, sid: str) -> Optional[Symptom]:
        return next((s for s in self.symptoms if s.id == sid), None)


def _runbook_of(d: dict[str, Any]) -> Runbook:
    """The dataclasses from a validated runbook's plain data (a pydantic dump, or the cache)."""
    def cause(c: dict[str, Any]) -> CauseSpec:
        return CauseSpec(**{**c, "supported_by": [Link(**x) for x in c["supported_by"]],
                            "contradicted_by": [Link(**x) for x in c["contradicted_by"]]})

    return Runbook(**{
        **d,
        "symptoms": [Symptom(**{**s, "points_to": [SymptomLink(**x) for x in s["points_to"]]}) for s in d["symptoms"]],
        "causes": [cause(c) for c in d["causes"]],
        "thresholds": Thresholds(**d["thresholds"]),
    })


def default_path() -> Path:
    """``runbook.yaml``: the packaged copy in a wheel, else the repo's ``playbooks/triage/``."""
    here = Path(__file__).resolve().parent.parent.parent
    packaged = here / "_data" / "playbooks" / "triage" / "runbook.yaml"
    if packaged.is_file():
        return packaged
    return here.parent / "playbooks" / "triage" / "runbook.yaml"


def _sources_path() -> Path:
    """knowledge/sources.yaml (as :func:`advisor.core.knowledge.default_dir` finds it, without its models)."""
    here = Path(__file__).resolve().parent.parent.parent
    packaged = here / "_data" / "knowledge"
    return (packaged if packaged.is_dir() else here.parent / "knowledge") / "sources.yaml"


def cache_dir() -> Path:
    """Where advisor keeps files it can rebuild: ``$ADVISOR_CACHE_DIR``, else the platform's user cache folder."""
    override = os.environ.get("ADVISOR_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "advisor"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "advisor" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor"


_CODE = (Path(__file__), Path(__file__).with_name("runbook_model.py"))


def _sha256(data: bytes):
    """SHA-256 from CPython's built-in module when there is one (hashlib loads OpenSSL: ~10 ms a start)."""
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.10, 3.11
        except ImportError:
            from hashlib import sha256
    return sha256(data)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Runbook:
    """The validated runbook at ``path``, titles cited; from the cache when nothing it depends on changed.

    A runbook is validated (YAML, the pydantic models, cross-references) and its
    source ids replaced by titles once; the result is kept as JSON in
    :func:`cache_dir`, named by a hash of the runbook, sources.yaml and the code
    that validates them, so any edit to one of them reads the YAML again. A cache
    that cannot be read or written is only slower, never an error.
    """
    text = read_text(path, limit=LIMITS["knowledge"], what="a runbook")
    sources = _sources_path()
    try:
        src_text: Optional[str] = read_text(sources, limit=LIMITS["knowledge"], what="the sources list")
    except UserError:
        src_text = None
    h = _sha256(text.encode("utf-8", "surrogatepass"))
    h.update(b"\0" + (src_text.encode("utf-8", "surrogatepass") if src_text is not None else b"-"))
    for code in _CODE:
        try:
            h.update(b"\0" + code.read_bytes())
        except OSError:  # no source next to the bytecode: never trust a cache
            h.update(os.urandom(16))
    cached = cache_dir() / f"runbook-{h.hexdigest()[:32]}.json"
    try:
        return _runbook_of(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    rb = _cite_by_title(_validate(text, path), src_text, str(sources))
    _store(cached, rb)
    return rb


def _validate(text: str, path: str) -> Runbook:
    from pydantic import ValidationError

    from advisor.core.triage.runbook_model import Runbook as Model

    data, lines = parse_yaml(text, file=path)
    if not isinstance(data, dict):
        raise UserError("expected a mapping at the top of the runbook", file=path, line=1)
    try:
        rb = _runbook_of(Model.model_validate(data).model_dump())
    except ValidationError as e:
        raise validation_error(e, file=path, lines=lines, model=Model) from None
    _cross_check(rb, path, lines)
    return rb


def _store(target: Path, rb: Runbook) -> None:
    """Write the cache file atomically (a concurrent run reads the old file or the new one, never half)."""
    from advisor.core.io import atomic_write

    try:
        text = json.dumps(asdict(rb), ensure_ascii=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
    except (OSError, UserError, TypeError, ValueError):  # read-only home, a full disk, a value JSON cannot hold
        pass


def _cite_by_title(rb: Runbook, src_text: Optional[str], sources: str) -> Runbook:
    """Sources are written as ids of knowledge/sources.yaml; users see each document's title."""
    import re

    if src_text is None:
        return rb
    try:
        data, _ = parse_yaml(src_text, file=sources)
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
