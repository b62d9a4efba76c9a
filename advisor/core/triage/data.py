"""Dataset checks for ``--train`` / ``--eval``: format, duplicates, conflicts, leakage, style.

Files are read one example at a time (JSONL line by line; a JSON array element
by element) and only small per-example summaries are kept, in flat arrays:
line number, lengths, four 8-byte hashes (the pair, the output, the input or
the reversed pair, the opening and closing words), a 64-value MinHash
signature and a 32-value bottom-k sketch of the output: about 450 bytes an
example, whatever its length, and never its text (a few listed examples keep
their first 40 characters). The pairwise checks run over those arrays once
the training set is read. Formats, detected from the first recognisable
example, whatever the file extension:

* ``chat``: OpenAI ``{"messages": [{"role", "content"}, ...]}``
* ``prompt_completion``: ``{"prompt", "completion"}`` (strings or message lists)
* ``alpaca``: ``{"instruction", "input", "output"}``
* ``preference``: TRL ``{"prompt", "chosen", "rejected"}``
* ``openai_dpo``: ``{"input": {"messages"}, "preferred_output", "non_preferred_output"}``
* ``text``: ``{"text"}``

Near-duplicates use **datasketch** MinHash with LSH banding: datasketch's
MinHash and its choice of bands for the threshold, while the bands themselves
are kept as sorted arrays of 64-bit band hashes (16 bytes a row and band)
rather than datasketch's bucket tables (about 2.7 KB an example), so 100k
examples are compared without the n^2 pairs and without a dict per bucket. Signatures are built on word bigrams of the
lower-cased text (short fine-tuning examples have too few 5-grams); the
bigram hashes come from CRC32 of the words, vectorised with numpy, so the
result is the same on every run (Python's ``hash`` is salted per process).
Token counts are estimated as characters / 4, the usual rule of thumb for
English with BPE tokenizers; they are for comparing examples, not billing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import numpy as np

from advisor.core.io import LIMITS, json_loads, json_raw_decode, open_text_stream
from advisor.core.triage.models import Finding
from advisor.core.triage.progress import Progress, SilentProgress
from advisor.core.triage.runbook import Thresholds
from advisor.errors import UserError

NUM_PERM = 64
OUT_PERM = 32
_WORD = re.compile(r"\w+")
_WS = re.compile(r"\s+")
_ROLES = {"system", "user", "assistant", "tool", "function", "developer"}
_PLACEHOLDERS = {"", "todo", "tbd", "n/a", "na", "none", "null", "...", "placeholder", "xxx", "fill in", "fixme",
                 "lorem ipsum", "<output>", "<answer>", "<response>", "answer", "output", "response", "-", "?"}
FORMAT_KEYS = {
    "chat": "messages",
    "prompt_completion": "prompt/completion",
    "alpaca": "instruction/input/output",
    "preference": "prompt/chosen/rejected",
    "openai_dpo": "input/preferred_output/non_preferred_output",
    "instruction_response": "instruction/response (Dolly: + context)",
    "question_answer": "question/answer (+ context)",
    "input_output": "input/output",
    "gemini": "contents (Gemini / Vertex AI: role user|model, parts[].text)",
    "text": "text",
    "fields": "any keys, mapped with --fields prompt=KEY,completion=KEY",
}
FIELD_ROLES = ("prompt", "completion", "system", "rejected")
MAX_LISTED = 10


class _Bad(Exception):
    """One example that does not fit the format; the message names the key."""


@dataclass
class Example:
    """One training example reduced to what the checks need."""

    line: int
    input: str
    output: str
    system: Optional[str] = None
    rejected: Optional[str] = None


def _detect(obj: dict) -> Optional[str]:
    keys = obj.keys()
    if "messages" in keys:
        return "chat"
    if "contents" in keys and isinstance(obj.get("contents"), list):
        return "gemini"
    if "preferred_output" in keys or "non_preferred_output" in keys:
        return "openai_dpo"
    if "chosen" in keys and "rejected" in keys:
        return "preference"
    if "prompt" in keys and "completion" in keys:
        return "prompt_completion"
    if "instruction" in keys and "output" in keys:
        return "alpaca"
    if "instruction" in keys and "response" in keys:
        return "instruction_response"
    if "question" in keys and ("answer" in keys or "answers" in keys):
        return "question_answer"
    if "input" in keys and "output" in keys and not isinstance(obj.get("input"), dict):
        return "input_output"
    if "text" in keys and len(keys) <= 3:
        return "text"
    return None


def _content(c: Any, where: str) -> str:
    if isinstance(c, str):
        return c
    if isinstance(c, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return " ".join(p.get("text", "") for p in c if isinstance(p, dict) and isinstance(p.get("text"), str))
    if c is None:
        return ""
    raise _Bad(f"{where} must be a string (got {type(c).__name__})")


def _messages(msgs: Any, key: str) -> list[tuple[str, str]]:
    if not isinstance(msgs, list) or not msgs:
        raise _Bad(f"'{key}' must be a non-empty list of messages")
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            raise _Bad(f"{key}[{i}] must be an object with 'role' and 'content'")
        role = m.get("role")
        if role not in _ROLES:
            raise _Bad(f"{key}[{i}].role {role!r} is not one of: {', '.join(sorted(_ROLES))}")
        if "content" not in m and not m.get("tool_calls"):
            raise _Bad(f"{key}[{i}] has no 'content'")
        out.append((role, _content(m.get("content"), f"{key}[{i}].content")))
    return out


def _text_or_messages(v: Any, key: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "\n".join(c for _, c in _messages(v, key))
    raise _Bad(f"'{key}' must be a string or a list of messages (got {type(v).__name__})")


def _last_assistant(v: Any, key: str) -> str:
    if isinstance(v, str):
        return v
    msgs = _messages(v, key)
    return next((c for r, c in reversed(msgs) if r == "assistant"), msgs[-1][1])


def _str(obj: dict, key: str) -> str:
    v = obj.get(key)
    if not isinstance(v, str):
        raise _Bad(f"'{key}' must be a string (got {type(v).__name__})")
    return v


def parse_fields(spec: Optional[str]) -> Optional[dict[str, str]]:
    """``--fields prompt=question,completion=answer`` as ``{"prompt": "question", "completion": "answer"}``.

    Roles: ``prompt`` and ``completion`` (required), ``system`` and ``rejected`` (optional).

    Raises:
        UserError: an unknown role, a missing ``=``, or no prompt/completion.
    """
    if spec is None:
        return None
    out: dict[str, str] = {}
    for part in spec.split(","):
        role, sep, key = (x.strip() for x in part.partition("="))
        if not sep or not key:
            raise UserError(f"--fields: expected ROLE=KEY pairs separated by commas (got {part!r})")
        if role not in FIELD_ROLES:
            raise UserError(f"--fields: unknown role {role!r}; expected one of: {', '.join(FIELD_ROLES)}")
        out[role] = key
    missing = [r for r in ("prompt", "completion") if r not in out]
    if missing:
        raise UserError(f"--fields: missing {' and '.join(missing)} (e.g. --fields prompt=question,completion=answer)")
    return out


def _mapped(obj: dict, fields: dict[str, str], line: int) -> Example:
    for role in ("prompt", "completion"):
        if fields[role] not in obj:
            raise _Bad(f"missing key {fields[role]!r} (mapped to {role} by --fields)")
    sys_v = obj.get(fields["system"]) if "system" in fields else None
    rej = obj.get(fields["rejected"]) if "rejected" in fields else None
    return Example(line, _text_or_messages(obj[fields["prompt"]], fields["prompt"]),
                   _last_assistant(obj[fields["completion"]], fields["completion"]),
                   sys_v if isinstance(sys_v, str) else None,
                   _last_assistant(rej, fields["rejected"]) if rej is not None else None)


def _extract(obj: dict, fmt: str, line: int) -> Example:
    if fmt == "chat":
        msgs = _messages(obj.get("messages"), "messages")
        if not any(r == "assistant" for r, _ in msgs):
            raise _Bad("no assistant message: there is nothing to learn from this example")
        if msgs[-1][0] != "assistant":
            raise _Bad(f"the last message is from '{msgs[-1][0]}': the example must end with the assistant's reply")
        system = "\n".join(c for r, c in msgs if r in ("system", "developer")) or None
        body = [f"{r}: {c}" for r, c in msgs[:-1] if r not in ("system", "developer")]
        return Example(line, "\n".join(body), msgs[-1][1], system)
    if fmt == "prompt_completion":
        return Example(line, _text_or_messages(obj["prompt"], "prompt"), _last_assistant(obj["completion"], "completion"))
    if fmt == "alpaca":
        for k in ("instruction", "output"):
            if not isinstance(obj.get(k), str):
                raise _Bad(f"'{k}' must be a string (got {type(obj.get(k)).__name__})")
        extra = obj.get("input") or ""
        if not isinstance(extra, str):
            raise _Bad(f"'input' must be a string (got {type(extra).__name__})")
        return Example(line, obj["instruction"] + ("\n" + extra if extra else ""), obj["output"],
                       obj.get("system") if isinstance(obj.get("system"), str) else None)
    if fmt == "preference":
        prompt = obj.get("prompt", "")
        if prompt:
            text = _text_or_messages(prompt, "prompt")
        elif isinstance(obj["chosen"], list):
            # TRL's implicit-prompt rows: chosen and rejected are whole conversations; the prompt is the
            # conversation before the final assistant turn (without it every row would share an empty input).
            msgs = _messages(obj["chosen"], "chosen")
            cut = max((i for i, (r, _) in enumerate(msgs) if r == "assistant"), default=len(msgs))
            text = "\n".join(f"{r}: {c}" for r, c in msgs[:cut] if r not in ("system", "developer"))
        else:
            text = ""
        return Example(line, text, _last_assistant(obj["chosen"], "chosen"), None,
                       _last_assistant(obj["rejected"], "rejected"))
    if fmt == "instruction_response":
        ins, ctx = _str(obj, "instruction"), obj.get("context") or ""
        if not isinstance(ctx, str):
            raise _Bad(f"'context' must be a string (got {type(ctx).__name__})")
        return Example(line, ins + ("\n" + ctx if ctx else ""), _str(obj, "response"))
    if fmt == "question_answer":
        q, ctx = _str(obj, "question"), obj.get("context") or ""
        if not isinstance(ctx, str):
            raise _Bad(f"'context' must be a string (got {type(ctx).__name__})")
        ans = obj.get("answer", obj.get("answers"))
        if isinstance(ans, dict):  # SQuAD: {"text": [...], "answer_start": [...]}
            ans = ans.get("text")
        if isinstance(ans, list):
            ans = next((a for a in ans if isinstance(a, str)), "")
        if not isinstance(ans, str):
            raise _Bad(f"'answer' must be a string, a list of strings or {{'text': [...]}} (got {type(ans).__name__})")
        return Example(line, (ctx + "\n" if ctx else "") + q, ans)
    if fmt == "input_output":
        return Example(line, _text_or_messages(obj["input"], "input"), _last_assistant(obj["output"], "output"))
    if fmt == "gemini":
        turns = []
        for i, t in enumerate(obj["contents"]):
            if not isinstance(t, dict) or t.get("role") not in ("user", "model", "function"):
                raise _Bad(f"contents[{i}] must be an object with role 'user' or 'model' and 'parts'")
            parts = t.get("parts")
            if not isinstance(parts, list):
                raise _Bad(f"contents[{i}].parts must be a list of {{'text': ...}}")
            turns.append((t["role"], " ".join(p["text"] for p in parts if isinstance(p, dict)
                                              and isinstance(p.get("text"), str))))
        if not turns or turns[-1][0] != "model":
            raise _Bad("the last turn must be the model's reply (role 'model')")
        si = obj.get("systemInstruction") or obj.get("system_instruction")
        system = None
        if isinstance(si, dict) and isinstance(si.get("parts"), list):
            system = " ".join(p.get("text", "") for p in si["parts"] if isinstance(p, dict)) or None
        body = "\n".join(f"{'assistant' if r == 'model' else r}: {c}" for r, c in turns[:-1])
        return Example(line, body, turns[-1][1], system)
    if fmt == "fields":
        raise AssertionError("mapped by DatasetChecker")  # pragma: no cover
    if fmt == "openai_dpo":
        for k in ("input", "preferred_output", "non_preferred_output"):
            if k not in obj:
                raise _Bad(f"missing key '{k}' (OpenAI DPO format)")
        inp = obj["input"]
        if not isinstance(inp, dict) or "messages" not in inp:
            raise _Bad("'input' must be an object with 'messages'")
        msgs = _messages(inp["messages"], "input.messages")
        system = "\n".join(c for r, c in msgs if r in ("system", "developer")) or None
        body = "\n".join(f"{r}: {c}" for r, c in msgs if r not in ("system", "developer"))
        return Example(line, body, _last_assistant(obj["preferred_output"], "preferred_output"), system,
                       _last_assistant(obj["non_preferred_output"], "non_preferred_output"))
    if fmt == "text":
        if not isinstance(obj.get("text"), str):
            raise _Bad("'text' must be a string")
        return Example(line, "", obj["text"])
    raise AssertionError(fmt)  # pragma: no cover


def iter_records(path: str, on_read: Optional[Callable[[int], None]] = None) -> Iterator[tuple[int, Any, Optional[str]]]:
    """Yield ``(line, object, error)`` for each record of a JSONL file or JSON array.

    ``error`` is a JSON syntax message for a malformed line (``object`` is
    then None). A JSON array is decoded element by element; a syntax error in
    it ends the file, since nothing after it can be located reliably.

    Args:
        path: the file.
        on_read: called now and then with the number of characters read since
            its last call (for a progress display).

    Raises:
        UserError: the file is missing, unreadable or not UTF-8.
    """
    # a BOM (Windows editors) is not part of the first line; size, file type and OS errors checked there
    fh = open_text_stream(path, limit=LIMITS["dataset"], what="a dataset")
    with fh:
        try:
            head = fh.read(4096)
            first = head.lstrip()[:1]
            fh.seek(0)
            if first == "[":
                # Element by element, 1 MiB at a time: a big JSON-array dataset is never held whole.
                from advisor.core.triage.logs.stream import iter_array

                try:
                    for line, obj in iter_array(fh, path, on_read):
                        yield line, obj, None
                except UserError as e:
                    msg = e.message.removeprefix("malformed JSON: ")
                    yield e.line or 1, None, ("not valid JSON (the array is not closed with ']')" if "not closed" in msg
                                              else f"not valid JSON ({msg} at column {e.column}); the rest of the "
                                              "array was not read")
                return
            pending = 0
            for lineno, raw in enumerate(fh, start=1):
                if on_read:
                    pending += len(raw)
                    if not lineno % 2000:
                        on_read(pending)
                        pending = 0
                if not raw.strip():
                    continue
                try:
                    yield lineno, json_loads(raw), None
                except json.JSONDecodeError as e:
                    yield lineno, None, f"not valid JSON ({e.msg} at column {e.colno})"
            if on_read and pending:
                on_read(pending)
        except UnicodeDecodeError as e:
            raise UserError(f"not UTF-8 text (byte {e.start})", file=path) from None


def _norm(s: str) -> str:
    """Case and spacing ignored: the form exact-duplicate checks compare."""
    return " ".join(s.split()).casefold()


def _key(*parts: str) -> bytes:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.digest()


class _Signer:
    """Word-bigram hashing and one reusable datasketch MinHash (building a MinHash per
    example would re-parse its permutations each time, a third of the cost)."""

    def __init__(self, num_perm: int) -> None:
        from datasketch import MinHash

        self.num_perm = num_perm
        self.m = MinHash(num_perm=num_perm, seed=1, hashfunc=int)

    @staticmethod
    def shingles(words: list[str]) -> np.ndarray:
        """Sorted unique 32-bit hashes of the word bigrams (the word itself for one word)."""
        if not words:
            return np.empty(0, dtype=np.uint64)
        h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
        if len(h) > 1:
            # Combine neighbours into one 32-bit bigram hash (odd multiplier, then xor).
            h = ((h[:-1] * np.uint64(0x9E3779B1)) ^ h[1:]) & np.uint64(0xFFFFFFFF)
        return np.unique(h)

    def sign(self, sh: np.ndarray):
        """The shared MinHash, reset and filled with ``sh`` (valid until the next call)."""
        m = self.m
        m.clear()
        m.update_batch(sh.tolist())
        return m


def _bottom_k(sh: np.ndarray, k: int) -> np.ndarray:
    """A bottom-k sketch (the k smallest hashes), padded with the max value."""
    out = np.full(k, 0xFFFFFFFF, dtype=np.uint32)
    got = sh[:k]
    out[: len(got)] = got
    return out


def _bottom_k_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard estimate from two bottom-k sketches: share of the union's k smallest found in both."""
    k = len(a)
    a = a[a != 0xFFFFFFFF]
    b = b[b != 0xFFFFFFFF]
    if len(a) == 0 and len(b) == 0:
        return 1.0
    union = np.union1d(a, b)[:k]
    both = np.intersect1d(a, b, assume_unique=True)
    return float(np.isin(union, both, assume_unique=True).sum()) / len(union)


class _Rows:
    """A growable uint32 matrix (one row a signature), 1024 rows at first, doubling."""

    def __init__(self, width: int) -> None:
        self.a = np.empty((1024, width), dtype=np.uint32)
        self.n = 0

    def add(self, hv: np.ndarray) -> int:
        if self.n == len(self.a):
            self.a = np.concatenate([self.a, np.empty_like(self.a)])
        self.a[self.n] = hv
        self.n += 1
        return self.n - 1

    def done(self) -> np.ndarray:
        """The rows added (the spare capacity released)."""
        self.a = self.a[: self.n].copy()
        return self.a


def _key64(*parts: str) -> int:
    return int.from_bytes(_key(*parts), "little")


_MIX = np.uint64(0x100000001B3)  # the 64-bit FNV prime: xor a value in, multiply, per column


def _band_hashes(sigs: np.ndarray, ranges: list[tuple[int, int]]) -> list[np.ndarray]:
    """One 64-bit hash per row and LSH band (the band's signature values, xor-multiplied in turn).

    Two rows whose band hashes match are LSH candidates; they are verified on
    the signatures, so a rare hash collision only adds a candidate.
    """
    out = []
    with np.errstate(over="ignore"):
        for lo, hi in ranges:
            h = np.full(len(sigs), np.uint64(0xCBF29CE484222325))
            for j in range(lo, hi):
                h = (h ^ sigs[:, j].astype(np.uint64)) * _MIX
            out.append(h)
    return out


class _Bands:
    """LSH over the inserted signatures, built once the training set is read: per band, rows sorted by hash.

    Equal band hashes sit together, each group in row order, so the candidates
    of a row are the first rows of its groups: the same candidates a hash table
    of buckets gives, held in 16 bytes a row and band instead of a bucket each.
    """

    def __init__(self, sigs: np.ndarray, rows: np.ndarray, ranges: list[tuple[int, int]]) -> None:
        self.rows, self.ranges = rows, ranges  # rows: signature rows, ascending (insertion order)
        self.sorted, self.order, self.start, self.pos = [], [], [], []
        for h in _band_hashes(sigs[rows], ranges) if len(rows) else []:
            order = np.argsort(h, kind="stable")
            srt = h[order]
            pos = np.empty(len(order), dtype=np.int64)
            pos[order] = np.arange(len(order))
            self.sorted.append(srt)
            self.order.append(order)
            self.start.append(np.searchsorted(srt, h, "left"))
            self.pos.append(pos)

    def earlier(self) -> np.ndarray:
        """Positions (in ``rows``) that share a band with an earlier position."""
        if not self.order:
            return np.zeros(0, dtype=np.int64)
        any_before = np.zeros(len(self.rows), dtype=bool)
        for start, pos in zip(self.start, self.pos):
            any_before |= pos > start
        return np.nonzero(any_before)[0]

    def before(self, k: int, cap: int) -> list[int]:
        """The first ``cap`` earlier positions sharing a band with position ``k``, ascending."""
        got: set = set()
        for order, start, pos in zip(self.order, self.start, self.pos):
            s = int(start[k])
            got.update(order[s: min(int(pos[k]), s + cap)].tolist())
        return sorted(got)[:cap]

    def query(self, sig: np.ndarray, cap: int) -> list[int]:
        """The first ``cap`` positions sharing a band with ``sig`` (a signature not in the set), ascending."""
        got: set = set()
        vals = sig.tolist()
        for (lo_c, hi_c), srt, order in zip(self.ranges, self.sorted, self.order):
            h = 0xCBF29CE484222325  # _band_hashes for one row, in Python integers (no array per value)
            for v in vals[lo_c:hi_c]:
                h = ((h ^ v) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
            key = np.uint64(h)
            lo = int(np.searchsorted(srt, key, "left"))
            hi = int(np.searchsorted(srt, key, "right"))
            got.update(order[lo: min(hi, lo + cap)].tolist())
        return sorted(got)[:cap]


class _Heavy:
    """Misra-Gries heavy hitters: the text of every key whose share of the stream exceeds 1/(k+1).

    Counting is exact elsewhere (hashes in an array); this only keeps the words
    to show for the most common opening or closing, in k small slots.
    """

    def __init__(self, k: int) -> None:
        self.k, self.slots = k, {}

    def add(self, key: int, text: str) -> None:
        slot = self.slots.get(key)
        if slot is not None:
            slot[0] += 1
        elif len(self.slots) < self.k:
            self.slots[key] = [1, text]
        else:
            for kk in list(self.slots):
                self.slots[kk][0] -= 1
                if not self.slots[kk][0]:
                    del self.slots[kk]

    def text(self, key: int) -> Optional[str]:
        slot = self.slots.get(key)
        return slot[1] if slot else None


@dataclass
class DatasetScan:
    """Everything kept from one pass over a dataset: counts, a few listed lines, per-example hashes."""

    path: str
    role: str  # "train" or "eval"
    format: Optional[str] = None
    format_line: Optional[int] = None
    n: int = 0
    records: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0
    empty: list[tuple[int, str]] = field(default_factory=list)
    empty_count: int = 0
    same_pair: list[int] = field(default_factory=list)
    same_pair_count: int = 0
    exact_dups: list[tuple[int, int]] = field(default_factory=list)
    exact_dup_count: int = 0
    near_dups: list[tuple[int, int, float]] = field(default_factory=list)
    near_dup_count: int = 0
    conflicts: list[tuple[int, int, str]] = field(default_factory=list)
    conflict_count: int = 0
    in_tokens: array = field(default_factory=lambda: array("I"))
    out_tokens: array = field(default_factory=lambda: array("I"))
    # single_style: the opening and closing four words of each output, hashed (exact counts), their lines,
    # and the words of the frequent ones.
    open_keys: array = field(default_factory=lambda: array("Q"))
    close_keys: array = field(default_factory=lambda: array("Q"))
    style_lines: array = field(default_factory=lambda: array("I"))
    open_words: Optional[_Heavy] = None
    close_words: Optional[_Heavy] = None
    systems: Counter = field(default_factory=Counter)
    system_line: dict = field(default_factory=dict)
    system_text: dict = field(default_factory=dict)  # the first 40 characters: all a report shows


class DatasetChecker:
    """Stream a training set (and optionally an eval set) and collect the checks.

    While a file is read only per-example hashes, lengths and signatures are
    kept (about 450 bytes an example); the pairwise checks (exact and
    near-duplicates, conflicts) then run over those arrays once the training
    set is read, giving the same findings, in the same order, as comparing each
    example with the ones before it while reading.
    """

    def __init__(self, th: Thresholds, progress: Optional[Progress] = None,
                 fields: Optional[dict[str, str]] = None) -> None:
        self.fields = fields
        from datasketch import MinHashLSH

        self.th = th
        self.progress = progress or SilentProgress()
        self.signer = _Signer(NUM_PERM)
        lsh = MinHashLSH(threshold=th.near_duplicate_jaccard, num_perm=NUM_PERM)  # its band layout, nothing stored
        self.ranges = [(lo, hi) for lo, hi in lsh.hashranges]
        self.sigs = np.empty((0, NUM_PERM), dtype=np.uint32)
        self.lines = np.empty(0, dtype=np.uint32)  # line of each signature row
        self.bands: Optional[_Bands] = None
        self.pk_sorted = self.pk_first_line = self.ik_sorted = self.ik_first_line = np.empty(0, dtype=np.uint64)

    # -- reading ---------------------------------------------------------------
    def _examples(self, scan: DatasetScan) -> Iterator[Example]:
        try:
            size = os.path.getsize(scan.path)
        except OSError:
            size = 0  # iter_records says what is wrong with the file
        self.progress.start(size, f"checking the {scan.role} set {os.path.basename(scan.path)}")
        for line, obj, err in iter_records(scan.path, self.progress.update):
            scan.records += 1
            if err is not None:
                self._error(scan, line, err)
                continue
            if not isinstance(obj, dict):
                self._error(scan, line, f"expected a JSON object (got {type(obj).__name__})")
                continue
            fmt = "fields" if self.fields else _detect(obj)
            if fmt is None:
                keys = ", ".join(list(obj)[:8]) or "none"
                self._error(scan, line, "unrecognised example: expected the keys of one of "
                            + "; ".join(f"{v} ({k})" for k, v in FORMAT_KEYS.items()) + f"; got keys: {keys}")
                continue
            if scan.format is None:
                scan.format, scan.format_line = fmt, line
            elif fmt != scan.format:
                self._error(scan, line, f"has the keys of {fmt} ({FORMAT_KEYS[fmt]}) but this file is {scan.format} "
                            f"(detected at line {scan.format_line})")
                continue
            try:
                yield _mapped(obj, self.fields, line) if self.fields else _extract(obj, fmt, line)
            except _Bad as e:
                self._error(scan, line, str(e))
            except KeyError as e:
                self._error(scan, line, f"missing key {e.args[0]!r} ({FORMAT_KEYS[fmt]} format)")
        self.progress.complete()

    @staticmethod
    def _error(scan: DatasetScan, line: int, msg: str) -> None:
        scan.error_count += 1
        if len(scan.errors) < MAX_LISTED:
            scan.errors.append((line, msg))

    @staticmethod
    def _common(scan: DatasetScan, ex: Example, out_n: str) -> None:
        scan.n += 1
        scan.in_tokens.append(math.ceil(len(ex.input) / 4))
        scan.out_tokens.append(math.ceil(len(ex.output) / 4))
        if out_n in _PLACEHOLDERS or out_n.strip(" .") in _PLACEHOLDERS:
            scan.empty_count += 1
            if len(scan.empty) < MAX_LISTED:
                scan.empty.append((ex.line, ex.output[:40]))
        if ex.rejected is not None and _norm(ex.rejected) == out_n:
            scan.same_pair_count += 1
            if len(scan.same_pair) < MAX_LISTED:
                scan.same_pair.append(ex.line)

    # -- train -----------------------------------------------------------------
    def scan_train(self, path: str) -> DatasetScan:
        """One pass over the training set, then every pairwise check over what the pass kept.

        Exact duplicates and exact-input conflicts use 8-byte hashes of the
        normalised text (case and spacing ignored). Near-duplicates and
        near-input conflicts use MinHash LSH on the input (the output for
        ``text`` data), verified on the stored signatures; the outputs of a
        candidate pair are compared with bottom-k sketches. Each example is
        compared with the examples before it, as a reader going down the file
        would: the later of a pair is the one reported.

        Args:
            path: the training file.
        """
        scan = DatasetScan(path=path, role="train")
        th = self.th
        k = max(2, min(64, math.ceil(1 / th.single_style_share) + 1))
        scan.open_words, scan.close_words = _Heavy(k), _Heavy(k)
        lines, pks, oks, iks = array("I"), array("Q"), array("Q"), array("Q")
        kinds = bytearray()  # bit 1: has an input; bit 2: a preference pair (rejected given)
        sig_row = array("i")  # the example's signature row, -1 without shingles
        sigs, osigs = _Rows(NUM_PERM), _Rows(OUT_PERM)
        for ex in self._examples(scan):
            in_n, out_n = _norm(ex.input), _norm(ex.output)
            self._common(scan, ex, out_n)
            out_words = _WORD.findall(out_n)
            if len(out_words) >= 4:
                op, cl = " ".join(out_words[:4]), " ".join(out_words[-4:])
                ko, kc = _key64(op), _key64(cl)
                scan.open_keys.append(ko)
                scan.close_keys.append(kc)
                scan.style_lines.append(ex.line)
                scan.open_words.add(ko, op)
                scan.close_words.add(kc, cl)
            sk = _key64(ex.system or "")
            scan.systems[sk] += 1
            if sk not in scan.system_line:
                scan.system_line[sk] = ex.line
                scan.system_text[sk] = ex.system[:40] if ex.system else ex.system
            rej = ex.rejected is not None
            rej_n = _norm(ex.rejected or "")
            lines.append(ex.line)
            pks.append(_key64(in_n, out_n, rej_n))
            oks.append(_key64(out_n))
            # The key the conflict checks look up: the pair ranked the other way, or the input alone.
            iks.append(_key64(in_n, rej_n, out_n) if rej else _key64(in_n) if in_n else 0)
            kinds.append((1 if in_n else 0) | (2 if rej else 0))
            sh = self.signer.shingles(_WORD.findall(in_n) if in_n else out_words)
            if not len(sh):
                sig_row.append(-1)
                continue
            sig_row.append(sigs.add(self.signer.sign(sh).hashvalues))
            osigs.add(_bottom_k(self.signer.shingles(out_words) if in_n else sh, OUT_PERM))
        self._pairs(scan, np.frombuffer(lines, dtype=np.uint32), np.frombuffer(pks, dtype=np.uint64),
                    np.frombuffer(oks, dtype=np.uint64), np.frombuffer(iks, dtype=np.uint64),
                    np.frombuffer(bytes(kinds), dtype=np.uint8), np.frombuffer(sig_row, dtype=np.int32),
                    sigs.done(), osigs.done())
        return scan

    def _pairs(self, scan: DatasetScan, lines, pks, oks, iks, kinds, sig_row, sigs, osigs) -> None:
        """The pairwise checks over the arrays the pass kept (see :meth:`scan_train`)."""
        th = self.th
        n = len(lines)
        idx = np.arange(n)
        uniq, first, inv = np.unique(pks, return_index=True, return_inverse=True)
        first_of = first[inv.reshape(-1)]
        dup = first_of != idx
        self.pk_sorted, self.pk_first_line = uniq, lines[first]
        scan.exact_dup_count = int(dup.sum())
        scan.exact_dups = [(int(lines[i]), int(lines[first_of[i]])) for i in np.nonzero(dup)[0][:MAX_LISTED]]
        conflicts: list[tuple[int, int, int, str]] = []  # (example, its line, the other's, why), first ones only
        new_input = np.ones(n, dtype=bool)
        # Preference pairs: the same two answers ranked both ways (the reversed pair came first).
        pref = np.nonzero(~dup & ((kinds & 2) > 0))[0]
        if len(pref):
            at = np.searchsorted(uniq, iks[pref])
            at = np.minimum(at, len(uniq) - 1)
            hit = (uniq[at] == iks[pref]) & (iks[pref] != pks[pref]) & (first[at] < pref)
            both = pref[hit]
            scan.conflict_count += len(both)
            conflicts += [(int(i), int(lines[i]), int(lines[first[a]]), "the same two answers ranked both ways")
                          for i, a in zip(both[:MAX_LISTED], at[hit][:MAX_LISTED])]
        # The same input with another output than the first time it was seen.
        elig = np.nonzero(~dup & (kinds == 1))[0]
        iu, ifirst, iinv = np.unique(iks[elig], return_index=True, return_inverse=True)
        self.ik_sorted, self.ik_first_line = iu, lines[elig[ifirst]]
        if len(elig):
            f = elig[ifirst[iinv.reshape(-1)]]
            later = f != elig
            new_input[elig[later]] = False
            clash = elig[later & (oks[f] != oks[elig])]
            scan.conflict_count += len(clash)
            fc = f[later & (oks[f] != oks[elig])]
            conflicts += [(int(i), int(lines[i]), int(lines[j]), "same input, different output")
                          for i, j in zip(clash[:MAX_LISTED], fc[:MAX_LISTED])]
        # Near: LSH over the signatures of the examples that are not exact copies (a copy adds nothing new).
        has = sig_row >= 0
        ins = np.nonzero(has & ~dup)[0]  # examples, in order
        rows = sig_row[ins]
        self.sigs, self.lines = sigs, lines[np.nonzero(has)[0]]
        self.bands = _Bands(sigs, rows, self.ranges)
        for kpos in self.bands.earlier().tolist():
            i = int(ins[kpos])
            row = rows[kpos]
            hv = sigs[row]
            cands = self.bands.before(kpos, 50)  # cap: a shared template must not make this quadratic
            crow = rows[cands]
            j_ins = np.count_nonzero(sigs[crow] == hv, axis=1) / NUM_PERM
            has_input = bool(kinds[i] & 1)
            best = None
            for c, j_in in zip(crow.tolist(), j_ins.tolist()):
                if j_in < th.near_duplicate_jaccard:
                    continue
                j_out = _bottom_k_jaccard(osigs[c], osigs[row]) if has_input else j_in
                if best is None or j_in + j_out > best[0] + best[1]:
                    best = (j_in, j_out, c)
            if best is None:
                continue
            j_in, j_out, c = best
            other = int(self.lines[c])
            if has_input and not kinds[i] & 2 and new_input[i] and j_in >= th.conflict_input_jaccard and j_out < 0.5:
                scan.conflict_count += 1
                if len(conflicts) < 3 * MAX_LISTED:
                    conflicts.append((i, int(lines[i]), other,
                                      f"near-identical input (similarity {j_in:.2f}), different output"))
            elif j_out >= th.near_duplicate_jaccard:
                scan.near_dup_count += 1
                if len(scan.near_dups) < MAX_LISTED:
                    scan.near_dups.append((int(lines[i]), other, round(min(j_in, j_out), 2)))
        conflicts.sort(key=lambda t: t[0])
        scan.conflicts = [(a, b, why) for _, a, b, why in conflicts[:MAX_LISTED]]

    # -- eval ------------------------------------------------------------------
    @staticmethod
    def _lookup(keys: np.ndarray, first_line: np.ndarray, key: int) -> Optional[int]:
        at = int(np.searchsorted(keys, np.uint64(key)))
        return int(first_line[at]) if at < len(keys) and int(keys[at]) == key else None

    def scan_eval(self, path: str) -> tuple[DatasetScan, dict]:
        """Pass over the eval set: format, empties and leakage into the training set.

        Must run after :meth:`scan_train`. An eval example leaks if its input
        (its text, for ``text`` data) matches a training input exactly, or
        its MinHash similarity to one reaches the near-duplicate threshold.

        Returns:
            The scan and the leakage counts with example line pairs.
        """
        scan = DatasetScan(path=path, role="eval")
        leak: dict[str, Any] = {"exact": 0, "near": 0, "examples": []}
        near = self.bands is not None and len(self.bands.rows) > 0
        for ex in self._examples(scan):
            in_n, out_n = _norm(ex.input), _norm(ex.output)
            self._common(scan, ex, out_n)
            hit = None
            if in_n:
                got = self._lookup(self.ik_sorted, self.ik_first_line, _key64(in_n))
                if got is not None:
                    hit = ("exact", got, 1.0)
            if hit is None:
                got = self._lookup(self.pk_sorted, self.pk_first_line, _key64(in_n, out_n, _norm(ex.rejected or "")))
                if got is not None:
                    hit = ("exact", got, 1.0)
            if hit is None and near:
                sh = self.signer.shingles(_WORD.findall(in_n or out_n))
                if len(sh):
                    hv = self.signer.sign(sh).hashvalues.astype(np.uint32)
                    cands = self.bands.query(hv, 50)
                    if cands:
                        crow = self.bands.rows[cands]
                        js = np.count_nonzero(self.sigs[crow] == hv, axis=1) / NUM_PERM
                        best = None
                        for c, j in zip(crow.tolist(), js.tolist()):
                            if j >= self.th.near_duplicate_jaccard and (best is None or j > best[1]):
                                best = (c, j)
                        if best is not None:
                            hit = ("near", int(self.lines[best[0]]), round(best[1], 2))
            if hit is not None:
                leak[hit[0]] += 1
                if len(leak["examples"]) < MAX_LISTED:
                    leak["examples"].append({"eval_line": ex.line, "train_line": hit[1], "kind": hit[0], "similarity": hit[2]})
        return scan, leak


def _lines(pairs: list, more: int) -> str:
    s = ", ".join(pairs)
    return s + (f" and {more} more" if more > 0 else "")


def _pcts(a: array) -> dict:
    if not a:
        return {}
    v = np.frombuffer(a, dtype=np.uint32)
    return {"min": int(v.min()), "median": int(np.median(v)), "p95": int(np.percentile(v, 95)), "max": int(v.max()),
            "mean": round(float(v.mean()), 1)}


def findings_for(scan: DatasetScan, th: Thresholds, leak: Optional[dict] = None) -> tuple[list[Finding], dict]:
    """Turn a scan into findings (each citing example line numbers) and statistics.

    Args:
        scan: a finished :class:`DatasetScan`.
        th: the runbook's thresholds.
        leak: leakage counts from :meth:`DatasetChecker.scan_eval` (eval only).
    """
    p = scan.path
    out: list[Finding] = []
    if scan.n == 0:
        if scan.errors:
            line, msg = scan.errors[0]
            raise UserError(f"no usable example in this file; first problem: {msg}", file=p, line=line)
        raise UserError("no examples in this file: expected JSONL (one JSON object a line) or a JSON array", file=p)
    for line, msg in scan.errors:
        out.append(Finding(id="format_error", severity="error", where=f"{p}:{line}", detail=msg,
                           evidence={"line": line, "format": scan.format}))
    if scan.error_count > len(scan.errors):
        out.append(Finding(id="format_error", severity="error", where=p,
                           detail=f"{scan.error_count - len(scan.errors)} more malformed examples "
                                  f"({scan.error_count} of {scan.records} records in all)",
                           evidence={"count": scan.error_count, "records": scan.records}))
    if scan.empty_count:
        lines = [f"{ln}" for ln, _ in scan.empty]
        out.append(Finding(
            id="empty_output", severity="error" if scan.empty_count / scan.n > 0.05 else "warning",
            where=f"{p}:{scan.empty[0][0]}",
            detail=f"{scan.empty_count} of {scan.n} examples have an empty or placeholder output "
                   f"(lines {_lines(lines, scan.empty_count - len(lines))}): the model learns to answer with nothing.",
            evidence={"count": scan.empty_count, "lines": [ln for ln, _ in scan.empty],
                      "values": [v for _, v in scan.empty]}))
    if scan.same_pair_count:
        out.append(Finding(
            id="chosen_equals_rejected", severity="warning", where=f"{p}:{scan.same_pair[0]}",
            detail=f"{scan.same_pair_count} preference pairs have the same chosen and rejected answer "
                   f"(lines {_lines([str(x) for x in scan.same_pair], scan.same_pair_count - len(scan.same_pair))}): "
                   "they carry no preference signal.",
            evidence={"count": scan.same_pair_count, "lines": scan.same_pair}))
    stats: dict[str, Any] = {"path": p, "format": scan.format, "examples": scan.n, "records": scan.records,
                             "format_errors": scan.error_count, "input_tokens": _pcts(scan.in_tokens),
                             "output_tokens": _pcts(scan.out_tokens)}
    if scan.role == "train":
        out += _train_findings(scan, th, stats)
    else:
        if scan.n < th.min_eval_examples:
            out.append(Finding(
                id="eval_too_small", severity="warning", where=p,
                detail=f"Only {scan.n} eval examples (fewer than {th.min_eval_examples}): a regression of a few points "
                       "is inside the sampling noise; use at least 50-100 representative cases.",
                evidence={"examples": scan.n, "minimum": th.min_eval_examples}))
        if leak and (leak["exact"] or leak["near"]):
            n = leak["exact"] + leak["near"]
            ex = ", ".join(f"eval {e['eval_line']} ~ train {e['train_line']}" + ("" if e["kind"] == "exact" else f" ({e['similarity']})")
                           for e in leak["examples"][:5])
            out.append(Finding(
                id="train_eval_leakage", severity="error" if n / scan.n >= 0.05 else "warning",
                where=f"{p}:{leak['examples'][0]['eval_line']}",
                detail=f"{n} of {scan.n} eval examples ({100 * n / scan.n:.1f}%) also appear in the training set: "
                       f"{leak['exact']} exact, {leak['near']} near (MinHash Jaccard >= {th.near_duplicate_jaccard}); "
                       f"e.g. {ex}. Eval scores on them measure memory, not generalisation.",
                evidence={"exact": leak["exact"], "near": leak["near"], "eval_examples": scan.n,
                          "examples": leak["examples"]}))
        stats["leakage"] = {"exact": leak["exact"], "near": leak["near"]} if leak else None
    tin, tout = stats["input_tokens"], stats["output_tokens"]
    out.append(Finding(
        id="token_length_stats", severity="info", where=p,
        detail=f"{scan.n} {scan.format} examples; estimated tokens (chars/4) input median {tin.get('median')}, "
               f"p95 {tin.get('p95')}, max {tin.get('max')}; output median {tout.get('median')}, p95 {tout.get('p95')}, "
               f"max {tout.get('max')}.",
        evidence={"input_tokens": tin, "output_tokens": tout, "examples": scan.n}))
    return out, stats


def _most_common(keys: array, lines: array) -> tuple[int, int, int]:
    """(count, key, first line) of the most frequent key; a tie goes to the key seen first."""
    k = np.frombuffer(keys, dtype=np.uint64)
    uniq, first, counts = np.unique(k, return_index=True, return_counts=True)
    top = counts.max()
    at = int(first[counts == top].min())
    return int(top), int(k[at]), int(lines[at])


def _train_findings(scan: DatasetScan, th: Thresholds, stats: dict) -> list[Finding]:
    p = scan.path
    out = []
    if scan.n < th.min_train_examples:
        out.append(Finding(
            id="too_few_examples", severity="error" if scan.n < th.min_train_examples_error else "warning", where=p,
            detail=f"{scan.n} training examples (fewer than {th.min_train_examples}): too few for the model to learn the "
                   "task rather than memorise the examples.",
            evidence={"examples": scan.n, "minimum": th.min_train_examples}))
    if scan.exact_dup_count:
        pairs = [f"{a}={b}" for a, b in scan.exact_dups]
        out.append(Finding(
            id="exact_duplicate", severity="warning", where=f"{p}:{scan.exact_dups[0][0]}",
            detail=f"{scan.exact_dup_count} examples repeat an earlier one exactly (ignoring case and spacing): lines "
                   f"{_lines(pairs, scan.exact_dup_count - len(pairs))}. Repeats are trained on several times per epoch.",
            evidence={"count": scan.exact_dup_count, "pairs": scan.exact_dups}))
    if scan.near_dup_count:
        pairs = [f"{a}~{b} ({j})" for a, b, j in scan.near_dups]
        out.append(Finding(
            id="near_duplicate", severity="warning", where=f"{p}:{scan.near_dups[0][0]}",
            detail=f"{scan.near_dup_count} examples nearly repeat an earlier one (MinHash Jaccard >= "
                   f"{th.near_duplicate_jaccard} on word bigrams): lines {_lines(pairs, scan.near_dup_count - len(pairs))}.",
            evidence={"count": scan.near_dup_count, "pairs": [list(x) for x in scan.near_dups]}))
    if scan.conflict_count:
        pairs = [f"{a} vs {b} ({why})" for a, b, why in scan.conflicts]
        out.append(Finding(
            id="conflicting_labels", severity="error" if scan.conflict_count / scan.n >= 0.02 else "warning",
            where=f"{p}:{scan.conflicts[0][0]}",
            detail=f"{scan.conflict_count} examples contradict an earlier one: lines "
                   f"{_lines(pairs[:5], scan.conflict_count - min(5, len(pairs)))}. The model is taught two answers for one question.",
            evidence={"count": scan.conflict_count, "pairs": [[a, b, w] for a, b, w in scan.conflicts]}))
    styled = len(scan.style_lines)
    if styled >= 20:
        for keys, words, kind in ((scan.open_keys, scan.open_words, "open"), (scan.close_keys, scan.close_words, "close")):
            cnt, top_key, first = _most_common(keys, scan.style_lines)
            share = cnt / styled
            if share >= th.single_style_share:
                top = (words.text(top_key) if words else None) or "(words not kept)"
                out.append(Finding(
                    id="single_style", severity="warning", where=f"{p}:{first}",
                    detail=f"{100 * share:.0f}% of outputs {'open' if kind == 'open' else 'close'} with the same words "
                           f"('{top}', first at line {first}): one template or one writer's style; the model will "
                           "copy the style rather than learn the task.",
                    evidence={"share": round(share, 3), "words": top, "position": kind, "count": cnt}))
                break
    if len(scan.systems) > 1:
        variants = scan.systems.most_common()
        top_share = variants[0][1] / scan.n
        desc = "; ".join(
            f"{c} x {'no system prompt' if not scan.system_text[k] else repr(scan.system_text[k][:40])} (first at line {scan.system_line[k]})"
            for k, c in variants[:4])
        out.append(Finding(
            id="inconsistent_system_prompt", severity="warning" if top_share < 0.98 or len(variants) <= 5 else "info",
            where=f"{p}:{scan.system_line[variants[1][0]]}",
            detail=f"{len(variants)} different system prompts: {desc}. Train with the exact system prompt production uses.",
            evidence={"variants": len(variants), "top_share": round(top_share, 3)}))
    stats.update({"exact_duplicates": scan.exact_dup_count, "near_duplicates": scan.near_dup_count,
                  "conflicts": scan.conflict_count, "empty_outputs": scan.empty_count,
                  "system_prompts": len(scan.systems)})
    return out


def check_datasets(train: Optional[str], eval_: Optional[str], th: Thresholds,
                   progress: Optional[Progress] = None,
                   fields: Optional[dict[str, str]] = None) -> tuple[list[Finding], dict]:
    """Check a training set and/or an eval set.

    Args:
        train: path of the training set, if any.
        eval_: path of the eval set, if any (leakage needs both).
        th: the runbook's thresholds.
        progress: told how much of each file has been read (one phase per file).
        fields: ``--fields`` (role -> key): read every example through this mapping instead of detecting.

    Returns:
        The findings and per-dataset statistics (``{"train": {...}, "eval": {...}}``).

    Raises:
        UserError: a file is missing, unreadable, or holds no usable example.
    """
    checker = DatasetChecker(th, progress, fields)
    findings: list[Finding] = []
    stats: dict[str, Any] = {}
    if train:
        scan = checker.scan_train(train)
        f, stats["train"] = findings_for(scan, th)
        findings += f
    if eval_:
        scan, leak = checker.scan_eval(eval_)
        f, stats["eval"] = findings_for(scan, th, leak if train else None)
        findings += f
    return findings, stats
