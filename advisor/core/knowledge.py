"""The knowledge base: questions, options, rules, gates, blockers and sources, as YAML.

Advice lives in ``knowledge/*.yaml``, not in Python. Each file is validated by
the pydantic models here (``extra="forbid"``), so a typo in a rule is an error
with a file and line, and :func:`lint` checks what the schema cannot: rules
that read keys or values the contract does not have, duplicate ids, sources
that are not listed, options no rule can favour.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.answers import Answers
from advisor.core.conditions import Cond
from advisor.core.io import LIMITS, parse_yaml, read_text, validation_error
from advisor.errors import UserError

OptionId = Literal["prompt_engineering", "rag", "tool_use", "validators", "fine_tune", "routing_guardrails"]
OPTION_IDS: tuple[str, ...] = get_args(OptionId)
Method = Literal["sft", "lora", "qlora", "preference"]
METHODS: tuple[str, ...] = get_args(Method)
#: What a rule does: ``fit`` rules score how well a lever fixes the failure (and
#: rank the levers); ``complement`` rules add a lever to the plan beside the
#: primary one for a cross-cutting concern; ``readiness`` rules are notes on
#: whether fine-tuning is ready (they never move a lever's rank); ``method``
#: rules vote among fine-tuning methods.
Role = Literal["fit", "complement", "readiness", "method"]
Concern = Literal["risk", "fresh_facts", "strict_format", "tool_job", "routing"]
FILES = ("sources", "questions", "options", "methods", "rules", "gates", "blockers")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SourceRef(_Strict):
    """Where a rule's advice comes from."""

    seed: str = Field(description="Id of a document listed in sources.yaml (a short slug, never shown to users).")
    section: str = Field(description="The section or passage of that document.")


class Source(_Strict):
    """A document the knowledge was drawn from."""

    id: str = Field(description="Internal slug the knowledge files cite, e.g. fine-tuning-mistakes; never shown to users.")
    title: str = Field(description="The document's title, as a reader would search for it.")
    author: Optional[str] = Field(None, description="Author or publisher, where the document names one.")
    kind: str = Field(description="What sort of document it is (article, runbook, vendor data, ...).")
    year: Optional[int] = Field(None, description="Year of publication, where known.")
    summary: str = Field(description="One line, in our words, on what we took from it.")

    def reference(self) -> str:
        """Title, author or publisher, kind and year, for a Sources list."""
        bits = [f"“{self.title}”"]
        if self.author and not self.author.lower().startswith("not stated"):
            bits.append(self.author)
        bits.append(self.kind + (f", {self.year}" if self.year else ""))
        return ", ".join(bits)


class Sources(_Strict):
    sources: list[Source]


class Choice(_Strict):
    """One allowed answer of a choice question."""

    value: Union[bool, str] = Field(description="The contract value stored in the answers file.")
    label: str = Field(description="What the user sees.")
    help: Optional[str] = Field(None, description="One line explaining this choice, shown beside it.")


class Topic(_Strict):
    """A group of questions shown together."""

    id: str = Field(description="Topic id.")
    title: str = Field(description="Heading shown to the user.")
    intro: str = Field(description="One or two sentences on why we ask about this.")


class Question(_Strict):
    """One interview question, bound to one contract key."""

    key: str = Field(description="Dotted contract key, e.g. data.examples.")
    topic: str = Field(description="Id of the topic it belongs to.")
    prompt: str = Field(description="The question, in words a non-expert understands.")
    help: str = Field(description="Why it matters and how to answer; shown on demand.")
    kind: Literal["choice", "bool", "int", "float", "text"] = Field(description="Answer widget.")
    choices: list[Choice] = Field(default_factory=list, description="For kind=choice (and optional labels for bool).")
    ordered: bool = Field(False, description="Choices run from one end of a scale to the other (for 'smallest change').")
    min: Optional[float] = Field(None, description="Smallest allowed number.")
    max: Optional[float] = Field(None, description="Largest allowed number.")
    unit: Optional[str] = Field(None, description="Unit shown after a number.")
    example: Optional[str] = Field(None, description="An example answer (placeholder text).")
    ask_if: Optional[Cond] = Field(None, description="Ask only when this holds (unknown counts as 'ask').")
    has_default: bool = Field(False, description="Unanswered means a documented default, not an open question "
                              "(e.g. task.min_delta); no rule may read such a key.")
    actionable: bool = Field(False, description="The team can change this answer by acting (not a fact of the situation).")

    def should_ask(self, facts: dict[str, Any]) -> bool:
        """Branching: skip only when ``ask_if`` is definitely false."""
        return self.ask_if is None or self.ask_if.evaluate(facts) is not False

    def choice_values(self) -> list[Any]:
        if self.kind == "bool":
            return [True, False]
        return [c.value for c in self.choices]

    def label_for(self, value: Any) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


class Questions(_Strict):
    topics: list[Topic]
    questions: list[Question]


class Option(_Strict):
    """One lever a team can pull."""

    id: OptionId = Field(description="Contract option id.")
    name: str = Field(description="Display name.")
    summary: str = Field(description="What it is, in one or two sentences.")
    cost: str = Field(description="What it costs to build.")
    upkeep: str = Field(description="What it costs to keep working.")
    works_when: list[str] = Field(description="Situations where it works.")
    fails_when: list[str] = Field(description="Situations where it fails.")
    priority: int = Field(description="Tie-break order: lower = cheaper, try first.")
    go_no_go: "GoNoGo" = Field(description="When a plan step with this lever is done: the metric and the threshold.")
    sources: list[SourceRef] = Field(description="Where this description comes from.")


class GoNoGo(_Strict):
    """A plan step's exit test. ``{min_delta}`` in the threshold is filled with the plan's margin in points."""

    metric: str = Field(description="What is measured.")
    threshold: str = Field(description="When to move to the next step (or stop).")


Option.model_rebuild()


class Options(_Strict):
    options: list[Option]


class MethodInfo(_Strict):
    """A fine-tuning method and the settings the record gives for it."""

    id: Method = Field(description="Method id.")
    name: str = Field(description="Display name.")
    summary: str = Field(description="What it is, in one sentence.")
    settings: list[str] = Field(description="Training settings, in our words.")
    sources: list[SourceRef] = Field(description="Where the settings come from.")


class Methods(_Strict):
    methods: list[MethodInfo]


class Rule(_Strict):
    """A decision rule: when its condition holds, it moves option scores."""

    id: str = Field(description="Stable rule id (snake_case).")
    family: str = Field(description="Which body of advice it belongs to (failure_cause, task_type, ...).")
    role: Role = Field("fit", description="fit (ranks levers), complement (adds a lever to the plan), readiness (fine-tuning notes) or method.")
    concern: Optional[Concern] = Field(None, description="For complement rules: the cross-cutting concern the lever answers.")
    title: str = Field(description="Short name.")
    when: Cond = Field(description="Condition on the answers.")
    effects: dict[OptionId, float] = Field(default_factory=dict, description="Signed weight per option.")
    method: dict[Method, float] = Field(default_factory=dict, description="Signed weight per fine-tuning method.")
    rationale: str = Field(description="One line, in our own words: why.")
    source: SourceRef = Field(description="Where the rule comes from.")


class Rules(_Strict):
    rules: list[Rule]


class Gate(_Strict):
    """A hard condition: while ``when`` holds, ``lever`` cannot be the plan's primary lever."""

    id: str = Field(description="Stable gate id.")
    lever: OptionId = Field(description="The lever it holds.")
    title: str = Field(description="Short name.")
    when: Cond = Field(description="Condition under which the gate holds.")
    text: str = Field(description="Why the lever is held, in our words.")
    lift: str = Field(description="What would lift the gate.")
    source: SourceRef = Field(description="Where the gate comes from.")


class Gates(_Strict):
    gates: list[Gate]


class Blocker(_Strict):
    """A readiness check for fine-tuning; ``when`` holding means the check fails."""

    id: str = Field(description="Stable blocker id.")
    check: str = Field(description="The readiness question this answers, phrased as a check.")
    when: Cond = Field(description="Condition under which the check FAILS.")
    text: str = Field(description="What is wrong, shown when it fails.")
    fix: str = Field(description="What to do about it.")
    source: SourceRef = Field(description="Where the check comes from.")


class Blockers(_Strict):
    blockers: list[Blocker]


class KnowledgeBase(_Strict):
    """The whole loaded knowledge base."""

    sources: list[Source]
    topics: list[Topic]
    questions: list[Question]
    options: list[Option]
    methods: list[MethodInfo]
    rules: list[Rule]
    gates: list[Gate]
    blockers: list[Blocker]
    version: str = Field(description="Package version plus a hash of the YAML, so a record says which advice it used.")

    def option(self, option_id: str) -> Option:
        return next(o for o in self.options if o.id == option_id)

    def question(self, key: str) -> Optional[Question]:
        return next((q for q in self.questions if q.key == key), None)

    def rule(self, rule_id: str) -> Optional[Rule]:
        return next((r for r in self.rules if r.id == rule_id), None)

    def source(self, seed: str) -> Optional[Source]:
        return next((s for s in self.sources if s.id == seed), None)

    def method(self, method_id: str) -> Optional[MethodInfo]:
        return next((m for m in self.methods if m.id == method_id), None)

    def blocker(self, blocker_id: str) -> Optional[Blocker]:
        return next((b for b in self.blockers if b.id == blocker_id), None)

    def gate(self, gate_id: str) -> Optional[Gate]:
        return next((g for g in self.gates if g.id == gate_id), None)

    def cite(self, ref: SourceRef) -> str:
        """A citation a reader can follow: the document's title and the section."""
        src = self.source(ref.seed)
        title = src.title if src else ref.seed
        return f"“{title}”, {ref.section}"


_MODELS: dict[str, type[BaseModel]] = {
    "sources": Sources, "questions": Questions, "options": Options, "methods": Methods, "rules": Rules, "gates": Gates,
    "blockers": Blockers,
}


def default_dir() -> Path:
    """The knowledge folder: packaged copy in a wheel, else the repo's ``knowledge/``."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "knowledge"
    if packaged.is_dir():
        return packaged
    return here.parent / "knowledge"


def _load_file(folder: Path, name: str) -> tuple[BaseModel, str]:
    path = folder / f"{name}.yaml"
    text = read_text(path, limit=LIMITS["knowledge"], what="a knowledge file")
    data, lines = parse_yaml(text, file=str(path))
    model = _MODELS[name]
    if not isinstance(data, dict):
        raise UserError(f"expected a mapping with key '{name}'", file=str(path), line=1)
    try:
        return model.model_validate(data), text
    except ValidationError as e:
        raise validation_error(e, file=str(path), lines=lines, model=model) from None


def load_knowledge(folder: str | Path | None = None) -> KnowledgeBase:
    """Load and validate every knowledge file.

    Raises:
        UserError: a file is missing, malformed or breaks the schema.
    """
    folder = Path(folder) if folder else default_dir()
    parts: dict[str, Any] = {}
    digest = hashlib.sha256()
    for name in FILES:
        model, text = _load_file(folder, name)
        parts[name] = model
        digest.update(text.encode())
    from advisor import __version__

    return KnowledgeBase(
        sources=parts["sources"].sources,
        topics=parts["questions"].topics,
        questions=parts["questions"].questions,
        options=parts["options"].options,
        methods=parts["methods"].methods,
        rules=parts["rules"].rules,
        gates=parts["gates"].gates,
        blockers=parts["blockers"].blockers,
        version=f"{__version__}+{digest.hexdigest()[:10]}",
    )


@lru_cache(maxsize=4)
def cached_knowledge(folder: str | None = None) -> KnowledgeBase:
    """:func:`load_knowledge`, once per process (front ends call this)."""
    return load_knowledge(folder)


# -- linting -----------------------------------------------------------------

def _allowed_values(key: str) -> Optional[list[Any]]:
    """The contract's allowed values for a key (None for free numbers/text)."""
    section, _, field = key.partition(".")
    model = Answers.model_fields[section].annotation
    ann = model.model_fields[field].annotation  # type: ignore[union-attr]
    args = [a for a in get_args(ann) if a is not type(None)]
    inner = args[0] if args else ann
    lits = get_args(inner)
    if lits and all(isinstance(x, str) for x in lits):
        return list(lits)
    if inner is bool:
        return [True, False]
    return None


def _numeric(key: str) -> bool:
    section, _, field = key.partition(".")
    model = Answers.model_fields[section].annotation
    ann = model.model_fields[field].annotation  # type: ignore[union-attr]
    args = [a for a in get_args(ann) if a is not type(None)]
    return bool(args) and args[0] in (int, float)


def lint(kb: KnowledgeBase, *, extra_keys: tuple[str, ...] = ()) -> list[str]:
    """Problems a schema cannot see. Empty list = clean.

    Args:
        kb: the loaded knowledge base.
        extra_keys: further keys conditions may read (e.g. ``evidence.*`` facts).
    """
    from advisor.core.answers import answer_keys

    problems: list[str] = []
    keys = set(answer_keys()) | set(extra_keys)
    source_ids = {s.id for s in kb.sources}
    topic_ids = {t.id for t in kb.topics}

    def dupes(kind: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                problems.append(f"{kind}: duplicate id '{i}'")
            seen.add(i)

    dupes("rules", [r.id for r in kb.rules])
    dupes("blockers", [b.id for b in kb.blockers])
    dupes("gates", [g.id for g in kb.gates])
    dupes("options", [o.id for o in kb.options])
    dupes("questions", [q.key for q in kb.questions])
    dupes("sources", [s.id for s in kb.sources])
    dupes("topics", [t.id for t in kb.topics])

    def check_cond(where: str, cond: Cond) -> None:
        for leaf in cond.leaves():
            if leaf.key not in keys:
                problems.append(f"{where}: reads unknown key '{leaf.key}'")
                continue
            if leaf.key.startswith("evidence."):
                continue
            allowed = _allowed_values(leaf.key)
            numeric_op = any(getattr(leaf, n) is not None for n in ("lt", "lte", "gt", "gte"))
            if numeric_op and not _numeric(leaf.key):
                problems.append(f"{where}: compares '{leaf.key}' numerically but it is not a number")
            if allowed is not None and not numeric_op:
                for v in leaf.values():
                    if v not in allowed:
                        problems.append(
                            f"{where}: '{leaf.key}' never takes the value {v!r} (allowed: {', '.join(map(str, allowed))})"
                        )

    def check_source(where: str, ref: SourceRef) -> None:
        if ref.seed not in source_ids:
            problems.append(f"{where}: cites '{ref.seed}', which is not listed in sources.yaml")
        if not ref.section.strip():
            problems.append(f"{where}: source has no section")

    for r in kb.rules:
        check_cond(f"rule {r.id}", r.when)
        check_source(f"rule {r.id}", r.source)
        if not r.effects and not r.method:
            problems.append(f"rule {r.id}: has no effect on any option or method")
        if r.role == "complement":
            if r.concern is None:
                problems.append(f"rule {r.id}: a complement rule needs a concern")
            if any(w <= 0 for w in r.effects.values()):
                problems.append(f"rule {r.id}: a complement rule only adds levers (positive effects)")
        elif r.concern is not None:
            problems.append(f"rule {r.id}: only complement rules have a concern")
        zero = [o for o, w in r.effects.items() if w == 0]
        if zero and r.role != "complement":
            problems.append(f"rule {r.id}: a weight of 0 for {', '.join(zero)} moves nothing (remove it or give it a sign)")
        if r.role == "method" and r.effects:
            problems.append(f"rule {r.id}: a method rule moves methods, not options")
        if r.role == "readiness" and set(r.effects) - {"fine_tune"}:
            problems.append(f"rule {r.id}: a readiness rule only speaks to fine-tuning")
        if r.role == "readiness" and not r.effects.get("fine_tune"):
            problems.append(f"rule {r.id}: a readiness rule needs a fine_tune weight (its note in the plan shows it)")
        if not r.rationale.strip():
            problems.append(f"rule {r.id}: has no rationale")
    for b in kb.blockers:
        check_cond(f"blocker {b.id}", b.when)
        check_source(f"blocker {b.id}", b.source)
    for g in kb.gates:
        check_cond(f"gate {g.id}", g.when)
        check_source(f"gate {g.id}", g.source)
    for o in kb.options:
        for ref in o.sources:
            check_source(f"option {o.id}", ref)
    for m in kb.methods:
        for ref in m.sources:
            check_source(f"method {m.id}", ref)
    for q in kb.questions:
        where = f"question {q.key}"
        if q.key not in keys:
            problems.append(f"{where}: not a contract key")
            continue
        if q.topic not in topic_ids:
            problems.append(f"{where}: topic '{q.topic}' is not defined")
        if q.ask_if is not None:
            check_cond(where + " ask_if", q.ask_if)
        allowed = _allowed_values(q.key)
        if q.kind == "choice":
            if allowed is None:
                problems.append(f"{where}: kind choice, but the contract key takes free values")
            else:
                vals = [c.value for c in q.choices]
                missing = [a for a in allowed if a not in vals and a != "unknown"]
                extra = [v for v in vals if v not in allowed]
                if missing:
                    problems.append(f"{where}: choices miss contract values {missing}")
                if extra:
                    problems.append(f"{where}: choices not in the contract {extra}")
    read = {k for item in list(kb.rules) + list(kb.blockers) for k in item.when.keys()}
    for q in kb.questions:
        if q.has_default and q.key in read:
            problems.append(f"question {q.key}: has_default, but a rule or blocker reads it "
                            "(an unanswered key with a default would never count as unknown)")
    asked = {q.key for q in kb.questions}
    for k in sorted(set(answer_keys()) - asked):
        problems.append(f"questions: contract key '{k}' has no question")
    present = {o.id for o in kb.options}
    for oid in OPTION_IDS:
        if oid not in present:
            problems.append(f"options: option '{oid}' is not described")
        if not any(r.effects.get(oid, 0) > 0 for r in kb.rules if r.role == "fit"):
            problems.append(f"options: no rule can favour '{oid}'")
    return problems
