"""A small condition language shared by rules, blockers and ``ask_if``.

Conditions are data (YAML), never code::

    when: {key: failure.main_cause, in: [missing_knowledge]}
    when:
      all:
        - {key: data.examples, lt: 200}
        - {not: {key: data.quality, eq: clean}}

Evaluation is three-valued: ``True``, ``False`` or ``None`` (depends on an
unknown answer). A rule fires only on ``True``; ``None`` is how the engine
knows which unknowns would have mattered, so an unknown never counts as a
favourable answer.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = Union[bool, int, float, str]
_OPS = ("eq", "ne", "in_", "not_in", "lt", "lte", "gt", "gte", "known")


class Cond(BaseModel):
    """One comparison on one answer key, or a combination of conditions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    key: Optional[str] = Field(None, description="Dotted answer key, e.g. data.examples.")
    eq: Optional[Scalar] = Field(None, description="Answer equals this value.")
    ne: Optional[Scalar] = Field(None, description="Answer is known and differs from this value.")
    in_: Optional[list[Scalar]] = Field(None, alias="in", description="Answer is one of these values.")
    not_in: Optional[list[Scalar]] = Field(None, description="Answer is known and none of these values.")
    lt: Optional[float] = Field(None, description="Numeric answer below this.")
    lte: Optional[float] = Field(None, description="Numeric answer at most this.")
    gt: Optional[float] = Field(None, description="Numeric answer above this.")
    gte: Optional[float] = Field(None, description="Numeric answer at least this.")
    known: Optional[bool] = Field(None, description="true: the key is answered; false: it is unknown.")
    all: Optional[list["Cond"]] = Field(None, description="Every sub-condition holds.")
    any: Optional[list["Cond"]] = Field(None, description="At least one sub-condition holds.")
    not_: Optional["Cond"] = Field(None, alias="not", description="The sub-condition does not hold.")

    @model_validator(mode="after")
    def _one_shape(self) -> "Cond":
        combos = [n for n in ("all", "any", "not_") if getattr(self, n) is not None]
        ops = [n for n in _OPS if getattr(self, n) is not None]
        if combos:
            if len(combos) > 1 or self.key is not None or ops:
                raise ValueError("a condition is either one of all/any/not, or a key with one comparison")
            return self
        if self.key is None:
            raise ValueError("a condition needs `key` with one comparison (eq, ne, in, not_in, lt, lte, gt, gte, known), or all/any/not")
        if len(ops) != 1:
            raise ValueError(f"condition on {self.key} needs exactly one comparison, got {len(ops)}")
        return self

    # -- evaluation -------------------------------------------------------
    def evaluate(self, facts: dict[str, Any]) -> Optional[bool]:
        """Evaluate against flat answers; ``None`` means it depends on an unknown."""
        if self.all is not None:
            results = [c.evaluate(facts) for c in self.all]
            if False in results:
                return False
            return None if None in results else True
        if self.any is not None:
            results = [c.evaluate(facts) for c in self.any]
            if True in results:
                return True
            return None if None in results else False
        if self.not_ is not None:
            r = self.not_.evaluate(facts)
            return None if r is None else not r
        value = facts.get(self.key)  # type: ignore[arg-type]
        unknown = value is None or value == "unknown"
        if self.known is not None:
            return (not unknown) == self.known
        if unknown:
            return None
        if self.eq is not None:
            return value == self.eq
        if self.ne is not None:
            return value != self.ne
        if self.in_ is not None:
            return value in self.in_
        if self.not_in is not None:
            return value not in self.not_in
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        if self.lt is not None:
            return number < self.lt
        if self.lte is not None:
            return number <= self.lte
        if self.gt is not None:
            return number > self.gt
        return number >= self.gte  # type: ignore[operator]

    # -- introspection (linting, counterfactuals, unknowns) ----------------
    def keys(self) -> set[str]:
        """Every answer key this condition reads."""
        if self.key is not None:
            return {self.key}
        subs = self.all or self.any or ([self.not_] if self.not_ else [])
        out: set[str] = set()
        for c in subs:
            out |= c.keys()
        return out

    def leaves(self) -> list["Cond"]:
        """The key comparisons inside this condition."""
        if self.key is not None:
            return [self]
        subs = self.all or self.any or ([self.not_] if self.not_ else [])
        return [leaf for c in subs for leaf in c.leaves()]

    def values(self) -> list[Scalar]:
        """The literal values a leaf compares against (for linting and counterfactuals)."""
        if self.in_ is not None:
            return list(self.in_)
        if self.not_in is not None:
            return list(self.not_in)
        for name in ("eq", "ne", "lt", "lte", "gt", "gte"):
            v = getattr(self, name)
            if v is not None:
                return [v]
        return []

    def describe(self) -> str:
        """A compact human reading, e.g. ``data.examples < 200``."""
        if self.all is not None:
            return " and ".join(f"({c.describe()})" if c.key is None else c.describe() for c in self.all)
        if self.any is not None:
            return " or ".join(f"({c.describe()})" if c.key is None else c.describe() for c in self.any)
        if self.not_ is not None:
            return f"not ({self.not_.describe()})"
        symbols = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
        for name, sym in symbols.items():
            v = getattr(self, name)
            if v is not None:
                return f"{self.key} {sym} {_fmt(v)}"
        if self.in_ is not None:
            return f"{self.key} in {{{', '.join(_fmt(v) for v in self.in_)}}}"
        if self.not_in is not None:
            return f"{self.key} not in {{{', '.join(_fmt(v) for v in self.not_in)}}}"
        return f"{self.key} is {'answered' if self.known else 'unknown'}"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # limits are stored as floats; a person wrote 200, not 200.0
    return str(v)


Cond.model_rebuild()
