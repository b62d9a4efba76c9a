"""The async runner: sends every probe request once, directly or through litellm.

* an ``openai/...`` endpoint (hosted OpenAI or any OpenAI-compatible server)
  is called directly over aiohttp (:mod:`advisor.core.probe.direct`), the rest
  through litellm (``acompletion``, or the config's in-process Router);
* each call goes to its own endpoint (model, api_base, key variable, params);
* a refused connection fails fast: an endpoint that refuses before it ever
  answered fails its calls at once, one that stops answering mid-run does so
  after one call has used up its retries, and the rest are not sent;

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

litellm is imported inside :func:`_litellm`, only for calls that need it:
importing it costs seconds and ~170 MB, which the rest of the tool should
never pay. :func:`prefetch_litellm` starts that import on a thread while the
config, the eval set and the cache load.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from advisor.core.io import clean_surrogates
from advisor.core.probe import direct
from advisor.core.probe.cache import CacheWriteError, CachedResponse, ResponseCache, request_key
from advisor.core.probe.config import Endpoint, RouterSpec
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

    # Optional: ``skip(n)``: n of the phase's requests came from the cache (no time spent on them),
    # so an ETA should count only the rest. Without it the runner reports them through ``update``.


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
    endpoint: Optional[Endpoint] = None


@dataclass
class CallResult:
    """The outcome of one call: content, or an error message (never both)."""

    content: Optional[str] = None
    error: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Optional[float] = None
    cached: bool = False
    served_model: Optional[str] = None  # the ``model`` the response says answered
    cached_at: Optional[float] = None  # when a cached answer was made (epoch seconds)
    via: str = ""  # "direct" | "litellm" | "router" (sent this run), "" when cached or failed
    model_group: Optional[str] = None  # the model name a Router or proxy says answered (after fallbacks)
    fell_back: bool = False  # a Router or proxy answered from a fallback model


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
    unreachable: dict[str, str] = field(default_factory=dict)  # endpoint -> why its calls were not sent
    not_sent: int = 0  # calls failed without sending (unreachable endpoint)
    sending_s: Optional[float] = None  # first request out to last answer in
    _t_first: Optional[float] = None
    _t_last: Optional[float] = None


_LITELLM: Any = None
_LITELLM_LOCK = threading.Lock()
_TIMEOUT: Any = getattr(asyncio, "timeout", None)
_FIRST_GAP_S = 0.003  # request spacing before the first measurements (see Runner._pace)


def prefetch_litellm() -> None:
    """Start importing litellm on a daemon thread, so it overlaps loading the config, eval set and cache.

    The first call that needs litellm then waits only for what is left of the
    import; a run that needs no litellm call (all cached, or direct only)
    never waits for it.
    """
    if _LITELLM is None and not _LITELLM_LOCK.locked():
        threading.Thread(target=_litellm, name="import-litellm", daemon=True).start()


def _litellm() -> Any:
    """Import and quiet litellm once (lazily: see the module docstring)."""
    with _LITELLM_LOCK:
        return _import_litellm()


def _import_litellm() -> Any:
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


def unreachable(e: BaseException) -> bool:
    """Whether ``e`` (or anything it was raised from) is a refused connection or an unknown host.

    litellm reports these as a 500 InternalServerError; the cause chain still
    holds the ``ConnectionRefusedError`` / ``socket.gaierror``.
    """
    seen: set[int] = set()
    cur: Optional[BaseException] = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (ConnectionRefusedError, socket.gaierror)):
            return True
        os_error = getattr(cur, "os_error", None)  # aiohttp's ClientConnectorError
        if isinstance(os_error, (ConnectionRefusedError, socket.gaierror)):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _retryable(e: BaseException, litellm: Any) -> bool:
    if isinstance(e, direct.MissingKey):
        return False
    if any(marker in f"{type(e).__name__}: {e}" for marker in _CONFIG_ERRORS):
        return False
    if isinstance(e, (asyncio.TimeoutError, TimeoutError, ConnectionError)):
        return True
    code = _status(e)
    if code is not None and (code == 429 or code == 408 or code >= 500):
        return True
    if litellm is None:  # the direct path raises only the kinds above, or ValueError for a bad body
        return code is None and isinstance(e, (ValueError, KeyError))
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


#: litellm's own prefix on its messages ("litellm.RateLimitError: RateLimitError: OpenAIException - "),
#: which repeats the class name the message already starts with.
_LITELLM_PREFIX = re.compile(r"^(?:litellm\.\w+: )?(?:\w+Error: )?(?:\w+Exception - )?")
_MAX_MESSAGE = 300


def clip(text: str, limit: int = _MAX_MESSAGE) -> str:
    """``text`` cut to about ``limit`` characters at a word boundary, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + " ..."


def _short(e: BaseException) -> str:
    name = type(e).__name__
    code = _status(e)
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    msg = _LITELLM_PREFIX.sub("", msg, count=1) or msg
    # Redact before clipping, so a key cut in half cannot slip past the redaction.
    msg = clip(redact(msg))
    return redact(f"{name}{f' ({code})' if code else ''}: {msg}" if msg else name)


def endpoint_id(ep: Endpoint) -> str:
    """What a refused connection is about: the server (api_base), else the Router model or the model."""
    if ep.router:
        return f"router model {ep.model}"
    return ep.api_base or ep.model


class Runner:
    """Sends calls with the limits of a probe config and fills the cache.

    Args:
        cache: the response cache.
        api_base: the server for calls made without an endpoint of their own.
        concurrency: requests in flight at once.
        timeout_s: per-attempt timeout.
        max_retries: retries after the first attempt.
        backoff_s: first retry delay (doubles each attempt, jittered).
        budget_usd: stop sending new requests once this much is spent.
        progress: where progress goes.
        use_cache: read the cache (writes happen regardless).
        router: the config's Router settings, for endpoints sent through it.
        transport: ``auto`` (OpenAI-compatible endpoints directly) or ``litellm`` (all through litellm).
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
        router: Optional[RouterSpec] = None,
        transport: str = "auto",
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
        self.router_spec = router
        self.transport = transport
        self.totals = RunTotals()
        # Optional hook: a display that also wants errors and cost so far (the TUI) reads them here.
        bind = getattr(self.progress, "bind", None)
        if callable(bind):
            bind(self.totals)
        self._limit: Optional[asyncio.Semaphore] = None
        # Set when the cache cannot be written: no request starts after it (see run).
        self.cache_error: Optional[CacheWriteError] = None
        self._rng = random.Random()  # jitter needs no reproducibility
        # Pacing state (see _pace): CPU seconds and calls finished since sending began.
        self._cpu0: Optional[float] = None
        self._finished = 0
        self._next_start = 0.0
        self._router: Any = None
        self._session: Any = None
        self._answered: set[str] = set()  # endpoints that answered at least once this run

    def endpoint(self, model: str) -> Endpoint:
        """The endpoint of a bare model string: the runner's api_base."""
        return Endpoint(model, self.api_base)

    def make_call(self, model: str, messages: Messages, settings: dict[str, Any],
                  endpoint: Optional[Endpoint] = None) -> Call:
        """A :class:`Call` with its cache key (``endpoint`` defaults to ``model`` at the runner's api_base)."""
        ep = endpoint or self.endpoint(model)
        key = request_key(ep.model, None if ep.router else ep.api_base, messages, settings, ep.identity())
        return Call(ep.model, messages, settings, key, ep)

    def needs_litellm(self, calls: list[Call]) -> bool:
        """Whether any of ``calls`` goes through litellm."""
        return any(not direct.is_direct(c.endpoint or self.endpoint(c.model), self.transport) for c in calls)

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
        hits = 0
        for key, call in unique.items():
            hit = self.cache.get(key) if self.use_cache else None
            if hit is not None:
                results[key] = CallResult(hit.content, None, hit.prompt_tokens, hit.completion_tokens,
                                          hit.cost_usd, cached=True, served_model=hit.served_model,
                                          cached_at=hit.created)
                self.totals.cache_hits += 1
                hits += 1
                self._count_usage(results[key])
                if hit.cost_usd is None:  # no price when it was answered: say so again on a cached run
                    self.totals.cost_unknown_models.add(call.model)
            else:
                todo.append(call)
        if hits:
            skip = getattr(self.progress, "skip", None)
            if callable(skip):
                skip(hits)  # answered already: an ETA counts only what is still to send
            else:
                self.progress.update(hits)
        if todo:
            self._limit = asyncio.Semaphore(self.concurrency)
            litellm = _litellm() if self.needs_litellm(todo) else None
            if self._cpu0 is None:
                self._cpu0 = time.thread_time()
            session = None
            if any(direct.is_direct(c.endpoint or self.endpoint(c.model), self.transport) for c in todo):
                import aiohttp

                # One pooled session for the phase; the semaphore is the only limit on connections.
                session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                                                trust_env=True)

            async def one(call: Call) -> None:
                res = await self._send(call, litellm, session)
                results[call.key] = res
                self.progress.update(1)

            try:
                await asyncio.gather(*(one(c) for c in todo))
            finally:
                if session is not None:
                    await session.close()
            t = self.totals
            if t._t_first is not None and t._t_last is not None:
                t.sending_s = round((t.sending_s or 0.0) + (t._t_last - t._t_first), 3)
                t._t_first = t._t_last = None
        self.progress.complete()
        if self.cache_error is not None:
            # Answers that arrived could not all be stored: stop here rather than pay for
            # more that cannot be kept; everything committed before is intact for --resume.
            raise self.cache_error
        return results

    def _count_usage(self, r: CallResult) -> None:
        self.totals.prompt_tokens += r.prompt_tokens
        self.totals.completion_tokens += r.completion_tokens
        if r.cost_usd is not None:
            self.totals.cost_usd += r.cost_usd

    def _over_budget(self) -> bool:
        return self.budget_usd is not None and self.totals.cost_usd >= self.budget_usd

    def _get_router(self, litellm: Any) -> Any:
        """The in-process litellm Router, built once from the config (keys read from the environment here)."""
        if self._router is None:
            spec = self.router_spec
            assert spec is not None
            model_list = []
            for d in spec.model_list:
                lp = dict(d["litellm_params"])
                env = lp.pop("api_key_env", None)
                if env:
                    lp["api_key"] = os.environ.get(env, "")
                model_list.append({**d, "litellm_params": lp})
            kwargs: dict[str, Any] = {"num_retries": 0, **spec.options}
            if spec.fallbacks:
                kwargs["fallbacks"] = spec.fallbacks
            if spec.routing_strategy:
                kwargs["routing_strategy"] = spec.routing_strategy
            self._router = litellm.Router(model_list=model_list, **kwargs)
        return self._router

    async def _request(self, call: Call, ep: Endpoint, litellm: Any, session: Any) -> CallResult:
        """One attempt, by the endpoint's path."""
        if litellm is None or (session is not None and direct.is_direct(ep, self.transport)):
            data, headers = await direct.complete(session, ep, call.messages, call.settings, self.timeout_s)
            content, pt, ct, served = direct.parse(data)
            cost = direct.price(ep.model, pt, ct)
            if cost is None:
                self.totals.cost_unknown_models.add(call.model)
            group, fell_back = direct.routed(headers)  # a litellm proxy says so in its headers
            return CallResult(content=clean_surrogates(content or ""), prompt_tokens=pt, completion_tokens=ct,
                              cost_usd=cost, served_model=served, via="direct", model_group=group, fell_back=fell_back)
        kwargs: dict[str, Any] = {**ep.params, **call.settings}
        if ep.router:
            request = self._get_router(litellm).acompletion(
                model=ep.model, messages=call.messages, timeout=self.timeout_s, num_retries=0, **kwargs)
        else:
            key = ep.api_key()
            if key:
                kwargs["api_key"] = key
            request = litellm.acompletion(
                model=ep.model,
                messages=call.messages,
                api_base=ep.api_base,
                timeout=self.timeout_s,
                num_retries=0,  # retries are ours: one policy, counted, visible
                max_retries=0,
                **kwargs,
            )
        # litellm's own timeout should fire first; this guards a hang it misses.
        # asyncio.timeout (3.11+) runs the call in this task; wait_for would add a task per call.
        if _TIMEOUT is not None:
            async with _TIMEOUT(self.timeout_s + 2):
                resp = await request
        else:  # pragma: no cover - Python 3.10
            resp = await asyncio.wait_for(request, timeout=self.timeout_s + 2)
        result = self._parse(resp, call, litellm)
        result.via = "router" if ep.router else "litellm"
        return result

    async def _send(self, call: Call, litellm: Any, session: Any = None) -> CallResult:
        assert self._limit is not None
        ep = call.endpoint or self.endpoint(call.model)
        eid = endpoint_id(ep)
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            delay: Optional[float] = None
            async with self._limit:
                if self.cache_error is not None:
                    self.totals.errors += 1
                    return CallResult(error="not sent: the cache could not be written")
                dead = self.totals.unreachable.get(eid)
                if dead is not None:  # the server refused earlier in this run: do not knock again
                    self.totals.errors += 1
                    self.totals.not_sent += 1
                    return CallResult(error=f"not sent: {dead}")
                # Checked once a slot is free, so spending by the calls ahead is counted.
                if self._over_budget():
                    self.totals.budget_reached = True
                    self.totals.errors += 1
                    return CallResult(error=f"not sent: budget of {self.budget_usd} USD reached")
                await self._pace()
                if attempt == 0:
                    self.totals.requests_sent += 1
                self.totals.attempts += 1
                if self.totals._t_first is None:
                    self.totals._t_first = time.perf_counter()
                try:
                    result = await self._request(call, ep, litellm, session)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - every failure becomes a result or a retry
                    self._finished += 1
                    self.totals._t_last = time.perf_counter()
                    last = _short(e)
                    refused = unreachable(e)
                    if refused and (eid not in self._answered or attempt == self.max_retries):
                        # Nothing listening (or it stopped for good): fail this call and every later one at once.
                        why = (f"{eid} refused the connection (is the server running, and is the address right?)"
                               if eid not in self._answered else
                               f"{eid} stopped answering mid-run (connection refused after {attempt + 1} attempts)")
                        self.totals.unreachable.setdefault(eid, why)
                        self.totals.errors += 1
                        return CallResult(error=f"{last}: {why}")
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
                    self.totals._t_last = time.perf_counter()
                    self._answered.add(eid)
                    try:
                        self.cache.put(call.key, call.model, CachedResponse(
                            result.content or "", result.prompt_tokens, result.completion_tokens, result.cost_usd,
                            served_model=result.served_model))
                    except CacheWriteError as e:
                        self.cache_error = self.cache_error or e
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
        served = getattr(resp, "model", None)
        group, fell_back = None, False
        if isinstance(hidden, dict) and isinstance(hidden.get("additional_headers"), dict):
            group, fell_back = direct.routed(hidden["additional_headers"])
        # A lone surrogate cannot be stored or written as UTF-8: the same U+FFFD fresh or cached.
        return CallResult(content=clean_surrogates(content or ""), prompt_tokens=pt, completion_tokens=ct, cost_usd=cost,
                          served_model=served if isinstance(served, str) else None,
                          model_group=group, fell_back=fell_back)


def elapsed_since(t0: float) -> float:
    """Seconds since ``t0`` (``time.perf_counter``)."""
    return time.perf_counter() - t0
