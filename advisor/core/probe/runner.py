"""The async runner: sends every probe request through litellm, once.

* concurrency is one named limit (``concurrency``), an ``asyncio.Semaphore``
  held per attempt, so a request sleeping before a retry frees its slot;
* each attempt has a timeout; 429, 5xx, connection errors, timeouts and
  unreadable bodies are retried with exponential backoff and jitter, honouring
  a sane ``Retry-After``; other errors (bad request, auth) are not retried;
* every finished call is committed to the sqlite cache at once, so Ctrl-C or
  a crash loses nothing already paid for, and a re-run sends only the rest;
* a USD budget stops new requests once reached (calls in flight still land);
* request starts are paced by the client's own CPU cost per request (see
  :meth:`Runner._pace`), so a burst of slots freed together does not turn
  into a burst of requests that all wait on one busy event loop;
* progress goes through the :class:`Progress` protocol.

litellm is imported inside :func:`_litellm`, when the first request is about to
go out: importing it costs seconds and ~170 MB, which the rest of the tool
should never pay.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from advisor.core.probe.cache import CachedResponse, ResponseCache, request_key
from advisor.core.redact import redact  # noqa: F401  (one redaction for every error text; callers import it here)

Messages = list[dict[str, str]]


class Progress(Protocol):
    """Where the runner reports progress (rich in the CLI, a bar in the TUI, nothing in CI).

    An implementation may also define ``bind(totals: RunTotals)``: the runner
    calls it once, so the display can read errors, tokens and cost so far.
    """

    def start(self, total: int, description: str = "") -> None:
        """A phase begins with ``total`` requests (cached ones included)."""

    def update(self, n: int = 1) -> None:
        """``n`` more requests finished (answered, cached or failed)."""

    def complete(self) -> None:
        """The phase ended."""


class SilentProgress:
    """Progress that shows nothing (CI, non-tty, tests)."""

    def start(self, total: int, description: str = "") -> None:  # noqa: D102
        self.total, self.done = total, 0

    def update(self, n: int = 1) -> None:  # noqa: D102
        self.done += n

    def complete(self) -> None:  # noqa: D102
        pass


@dataclass
class Call:
    """One distinct request."""

    model: str
    messages: Messages
    settings: dict[str, Any]
    key: str


@dataclass
class CallResult:
    """The outcome of one call: content, or an error message (never both)."""

    content: Optional[str] = None
    error: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Optional[float] = None
    cached: bool = False


@dataclass
class RunTotals:
    """Counters for the output's ``run`` block."""

    requests_sent: int = 0
    attempts: int = 0
    retries: int = 0
    cache_hits: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown_models: set[str] = field(default_factory=set)
    budget_reached: bool = False


_LITELLM: Any = None
_TIMEOUT: Any = getattr(asyncio, "timeout", None)
_FIRST_GAP_S = 0.003  # request spacing before the first measurements (see Runner._pace)


def _litellm() -> Any:
    """Import and quiet litellm once (lazily: see the module docstring)."""
    global _LITELLM
    if _LITELLM is None:
        # The bundled cost map; otherwise import blocks up to 5 s fetching it.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        litellm.drop_params = True  # a provider that lacks `seed` should not fail the run
        # Logging callbacks cost CPU per call; we keep our own totals.
        litellm.callbacks = []
        litellm.success_callback = []
        litellm.failure_callback = []
        # (not turn_off_message_logging: with no callbacks there is nothing to redact for,
        # and its redaction deep-copies every request, ~0.5 ms a call)
        _LITELLM = litellm
    return _LITELLM


def _status(e: BaseException) -> Optional[int]:
    code = getattr(e, "status_code", None)
    return code if isinstance(code, int) else None


def _retry_after(e: BaseException) -> Optional[float]:
    """The server's Retry-After in seconds, when it sent one we can read."""
    headers: Any = None
    for attr in ("headers", "litellm_response_headers"):
        headers = getattr(e, attr, None)
        if headers:
            break
    if not headers:
        resp = getattr(e, "response", None)
        headers = getattr(resp, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
    except AttributeError:
        return None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP date: fall back to our own backoff


#: Failures that a retry cannot fix: the client is missing its key or the key is refused.
#: (litellm reports a missing key as a 500 InternalServerError, so the code alone misleads.)
_CONFIG_ERRORS = ("Missing credentials", "api_key client option must be set", "AuthenticationError")


def _retryable(e: BaseException, litellm: Any) -> bool:
    if any(marker in f"{type(e).__name__}: {e}" for marker in _CONFIG_ERRORS):
        return False
    if isinstance(e, (asyncio.TimeoutError, TimeoutError, ConnectionError)):
        return True
    code = _status(e)
    if code is not None and (code == 429 or code == 408 or code >= 500):
        return True
    retry_types = tuple(
        t for t in (getattr(litellm, n, None) for n in (
            "RateLimitError", "APIConnectionError", "Timeout", "InternalServerError",
            "ServiceUnavailableError", "BadGatewayError", "APIResponseValidationError",
        )) if isinstance(t, type)
    )
    if isinstance(e, retry_types):
        return True
    # A 200 with an unreadable body surfaces as a plain APIError without a 4xx code.
    if isinstance(e, getattr(litellm, "APIError", ())) and (code is None or code >= 500):
        return True
    return code is None and isinstance(e, (ValueError, KeyError))


def _short(e: BaseException) -> str:
    name = type(e).__name__
    code = _status(e)
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if len(msg) > 200:
        msg = msg[:200] + "..."
    return redact(f"{name}{f' ({code})' if code else ''}: {msg}" if msg else name)


class Runner:
    """Sends calls with the limits of a probe config and fills the cache.

    Args:
        cache: the response cache.
        api_base: handed to litellm with every call.
        concurrency: requests in flight at once.
        timeout_s: per-attempt timeout.
        max_retries: retries after the first attempt.
        backoff_s: first retry delay (doubles each attempt, jittered).
        budget_usd: stop sending new requests once this much is spent.
        progress: where progress goes.
        use_cache: read the cache (writes happen regardless).
    """

    def __init__(
        self,
        cache: ResponseCache,
        *,
        api_base: Optional[str] = None,
        concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        budget_usd: Optional[float] = None,
        progress: Optional[Progress] = None,
        use_cache: bool = True,
    ) -> None:
        self.cache = cache
        self.api_base = api_base
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.budget_usd = budget_usd
        self.progress: Progress = progress or SilentProgress()
        self.use_cache = use_cache
        self.totals = RunTotals()
        # Optional hook: a display that also wants errors and cost so far (the TUI) reads them here.
        bind = getattr(self.progress, "bind", None)
        if callable(bind):
            bind(self.totals)
        self._limit: Optional[asyncio.Semaphore] = None
        self._rng = random.Random()  # jitter needs no reproducibility
        # Pacing state (see _pace): CPU seconds and calls finished since sending began.
        self._cpu0: Optional[float] = None
        self._finished = 0
        self._next_start = 0.0

    def make_call(self, model: str, messages: Messages, settings: dict[str, Any]) -> Call:
        """A :class:`Call` with its cache key."""
        return Call(model, messages, settings, request_key(model, self.api_base, messages, settings))

    async def run(self, calls: list[Call], description: str = "probing") -> dict[str, CallResult]:
        """Answer every distinct call (by key); cached ones are not sent.

        Returns:
            key -> result; every key gets a result (content or error), none is lost.
        """
        unique: dict[str, Call] = {}
        for c in calls:
            unique.setdefault(c.key, c)
        results: dict[str, CallResult] = {}
        self.progress.start(len(unique), description)
        todo: list[Call] = []
        for key, call in unique.items():
            hit = self.cache.get(key) if self.use_cache else None
            if hit is not None:
                results[key] = CallResult(hit.content, None, hit.prompt_tokens, hit.completion_tokens,
                                          hit.cost_usd, cached=True)
                self.totals.cache_hits += 1
                self._count_usage(results[key])
                if hit.cost_usd is None:  # no price when it was answered: say so again on a cached run
                    self.totals.cost_unknown_models.add(call.model)
                self.progress.update(1)
            else:
                todo.append(call)
        if todo:
            self._limit = asyncio.Semaphore(self.concurrency)
            litellm = _litellm()
            if self._cpu0 is None:
                self._cpu0 = time.thread_time()

            async def one(call: Call) -> None:
                res = await self._send(call, litellm)
                results[call.key] = res
                self.progress.update(1)

            await asyncio.gather(*(one(c) for c in todo))
        self.progress.complete()
        return results

    def _count_usage(self, r: CallResult) -> None:
        self.totals.prompt_tokens += r.prompt_tokens
        self.totals.completion_tokens += r.completion_tokens
        if r.cost_usd is not None:
            self.totals.cost_usd += r.cost_usd

    def _over_budget(self) -> bool:
        return self.budget_usd is not None and self.totals.cost_usd >= self.budget_usd

    async def _send(self, call: Call, litellm: Any) -> CallResult:
        assert self._limit is not None
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            delay: Optional[float] = None
            async with self._limit:
                # Checked once a slot is free, so spending by the calls ahead is counted.
                if self._over_budget():
                    self.totals.budget_reached = True
                    self.totals.errors += 1
                    return CallResult(error=f"not sent: budget of {self.budget_usd} USD reached")
                await self._pace()
                if attempt == 0:
                    self.totals.requests_sent += 1
                self.totals.attempts += 1
                try:
                    request = litellm.acompletion(
                        model=call.model,
                        messages=call.messages,
                        api_base=self.api_base,
                        timeout=self.timeout_s,
                        num_retries=0,  # retries are ours: one policy, counted, visible
                        max_retries=0,
                        **call.settings,
                    )
                    # litellm's own timeout should fire first; this guards a hang it misses.
                    # asyncio.timeout (3.11+) runs the call in this task; wait_for would add a task per call.
                    if _TIMEOUT is not None:
                        async with _TIMEOUT(self.timeout_s + 2):
                            resp = await request
                    else:  # pragma: no cover - Python 3.10
                        resp = await asyncio.wait_for(request, timeout=self.timeout_s + 2)
                    result = self._parse(resp, call, litellm)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - every failure becomes a result or a retry
                    self._finished += 1
                    last = _short(e)
                    if not _retryable(e, litellm) or attempt == self.max_retries:
                        self.totals.errors += 1
                        return CallResult(error=last if attempt == 0 else f"{last} (after {attempt + 1} attempts)")
                    ra = _retry_after(e)
                    step = self.backoff_s * (2**attempt)
                    # Equal jitter: never zero, never in lockstep with the other workers.
                    delay = step / 2 + self._rng.uniform(0, step / 2)
                    if ra is not None and 0 <= ra <= 60:
                        delay = max(ra, 0.0)
                else:
                    self._finished += 1
                    self.cache.put(call.key, call.model, CachedResponse(
                        result.content or "", result.prompt_tokens, result.completion_tokens, result.cost_usd))
                    self._count_usage(result)
                    return result
            self.totals.retries += 1
            await asyncio.sleep(delay or 0)
        self.totals.errors += 1  # pragma: no cover - the loop always returns
        return CallResult(error=last)

    async def _pace(self) -> None:
        """Space request starts by the CPU one request costs this process.

        litellm spends a few milliseconds of CPU on each request (building it,
        then parsing, pricing and logging the answer), all on this one event
        loop. When many slots free up at once, as when a server answers a
        whole wave together, starting every next request at once interleaves
        their preparation, so all of them leave at the end of the burst and
        the waves stay locked together: every wave then pays the whole burst's
        CPU on top of the server's latency. Starting them one CPU-cost apart
        sends the first at once, spreads the wave out, and the CPU work then
        overlaps the waiting instead of adding to it. The spacing is the event
        loop thread's CPU time per finished call so far (litellm's helper
        threads excluded: they are not what the requests queue behind), so it
        never asks for more than the loop could do anyway; it is capped at
        20 ms, and 3 ms until a few calls have finished.
        """
        if self._cpu0 is None:
            return
        if self._finished < 4:
            gap = _FIRST_GAP_S  # until there is a measurement: litellm's usual cost here
        else:
            gap = min(0.02, max(0.0, (time.thread_time() - self._cpu0) / self._finished))
        now = time.monotonic()
        start = max(now, self._next_start)
        self._next_start = start + gap
        if start > now:
            await asyncio.sleep(start - now)

    def _parse(self, resp: Any, call: Call, litellm: Any) -> CallResult:
        try:
            content = resp.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as e:
            raise ValueError(f"unreadable response: {e}") from None
        usage = getattr(resp, "usage", None)
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        # litellm prices each response itself (``_hidden_params["response_cost"]``,
        # None when its cost map has no price); computing it again costs ~1 ms a call.
        hidden = getattr(resp, "_hidden_params", None)
        cost: Optional[float] = None
        if isinstance(hidden, dict) and "response_cost" in hidden:
            raw = hidden.get("response_cost")
            cost = float(raw) if isinstance(raw, (int, float)) else None
        elif call.model not in self.totals.cost_unknown_models:
            try:
                cost = float(litellm.completion_cost(completion_response=resp, model=call.model))
            except Exception:  # noqa: BLE001 - unknown price: count 0 and say so
                cost = None
        if cost is None:
            self.totals.cost_unknown_models.add(call.model)
        return CallResult(content=content or "", prompt_tokens=pt, completion_tokens=ct, cost_usd=cost)


def elapsed_since(t0: float) -> float:
    """Seconds since ``t0`` (``time.perf_counter``)."""
    return time.perf_counter() - t0
