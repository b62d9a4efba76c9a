"""The direct path: OpenAI-compatible chat completions over aiohttp, without litellm.

An ``openai/...`` model (hosted OpenAI, or any OpenAI-compatible server given
by ``api_base``: vLLM, llama.cpp, Ollama, a litellm proxy) needs no request
translation, so the runner can send it itself: the request litellm would send
(the model name after ``openai/``, the messages, the locked decoding settings,
``extra_body`` merged in, ``extra_headers`` added), read the same fields back,
and price it from the same cost map litellm ships. That skips litellm's
import (seconds) and its per-call work; the parity tests run the same calls
both ways and compare what comes back. ``transport: litellm`` in the config
turns it off.

Errors are raised as exceptions carrying ``status_code`` and ``headers``, with
class names matching litellm's (``RateLimitError``, ``AuthenticationError``,
...), so the runner's retry policy reads both paths the same way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

from advisor.core.probe.config import Endpoint

#: params the direct path knows how to send; any other makes the endpoint go through litellm.
DIRECT_PARAMS = frozenset({"extra_body", "extra_headers"})

_KINDS = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError", 404: "NotFoundError",
          408: "Timeout", 422: "UnprocessableEntityError", 429: "RateLimitError", 503: "ServiceUnavailableError"}
_CLASSES: dict[str, type] = {}


class HTTPFailure(Exception):
    """A non-2xx answer; subclasses are named like litellm's exceptions for the same status."""

    def __init__(self, status_code: int, message: str, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers or {}


class APIConnectionError(ConnectionError):
    """The server could not be reached or dropped the connection (the cause is chained)."""


class MissingKey(Exception):
    """No API key in the environment (not retried: see the runner's config errors)."""


def failure(status: int, message: str, headers: Optional[dict[str, str]] = None) -> HTTPFailure:
    """An :class:`HTTPFailure` of the class litellm would raise for ``status``."""
    kind = _KINDS.get(status, "InternalServerError" if status >= 500 else "APIError")
    cls = _CLASSES.get(kind)
    if cls is None:
        cls = _CLASSES[kind] = type(kind, (HTTPFailure,), {})
    return cls(status, message, headers)


def is_direct(ep: Endpoint, transport: str = "auto") -> bool:
    """Whether ``ep`` can be called without litellm."""
    return (transport == "auto" and not ep.router and ep.model.startswith("openai/")
            and set(ep.params) <= DIRECT_PARAMS)


def base_url(ep: Endpoint) -> str:
    """Where the request goes: the endpoint's api_base, else the environment's, else OpenAI's."""
    base = ep.api_base or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") \
        or "https://api.openai.com/v1"
    return base.rstrip("/")


def api_key(ep: Endpoint) -> str:
    """The key to send: ``api_key_env``'s variable, else ``OPENAI_API_KEY``."""
    key = ep.api_key() if ep.api_key_env else os.environ.get("OPENAI_API_KEY")
    if not key:
        name = ep.api_key_env or "OPENAI_API_KEY"
        raise MissingKey(f"Missing credentials: {name} is not set. A local OpenAI-compatible server that checks "
                         f"no key still needs some value (e.g. {name}=none)")
    return key


def request_body(ep: Endpoint, messages: list[dict[str, str]], settings: dict[str, Any]) -> dict[str, Any]:
    """The JSON body litellm sends for an ``openai/`` model."""
    body: dict[str, Any] = {"model": ep.model.split("/", 1)[1], "messages": messages, **settings}
    extra = ep.params.get("extra_body")
    if isinstance(extra, dict):
        body.update(extra)
    return body


def _error_message(status: int, text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300] or f"HTTP {status}"
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    if isinstance(err, str):
        return err
    return text.strip()[:300]


async def complete(session: Any, ep: Endpoint, messages: list[dict[str, str]], settings: dict[str, Any],
                   timeout_s: float) -> tuple[dict[str, Any], dict[str, str]]:
    """Send one chat completion; the parsed JSON answer and the response headers.

    Raises:
        HTTPFailure: a non-2xx status (with the server's message and headers).
        APIConnectionError: refused, reset or dropped connections.
        asyncio.TimeoutError: no full answer within ``timeout_s``.
        ValueError: a 2xx whose body is not a chat completion.
        MissingKey: no key in the environment.
    """
    import aiohttp

    headers = {"Authorization": f"Bearer {api_key(ep)}", "Content-Type": "application/json"}
    extra = ep.params.get("extra_headers")
    if isinstance(extra, dict):
        headers.update({str(k): str(v) for k, v in extra.items()})
    body = json.dumps(request_body(ep, messages, settings), ensure_ascii=False)
    try:
        async with session.post(base_url(ep) + "/chat/completions", data=body.encode("utf-8"), headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            text = await resp.text(errors="replace")
            resp_headers = {k.lower(): v for k, v in resp.headers.items()}
            if resp.status >= 300:
                raise failure(resp.status, _error_message(resp.status, text), resp_headers)
    except aiohttp.ClientError as e:
        raise APIConnectionError(f"Connection error: {e}") from e
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"unreadable response: not JSON ({text[:60]!r})") from None
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list) or not data["choices"]:
        raise ValueError("unreadable response: no choices")
    return data, resp_headers


def routed(headers: dict[str, Any]) -> tuple[Optional[str], bool]:
    """The model group a litellm Router or proxy says answered, and whether it fell back to get there."""
    group = headers.get("x-litellm-model-group")
    try:
        fallbacks = int(headers.get("x-litellm-attempted-fallbacks") or 0)
    except (TypeError, ValueError):
        fallbacks = 0
    return (str(group) if group else None), fallbacks > 0


def parse(data: dict[str, Any]) -> tuple[str, int, int, Optional[str]]:
    """content, prompt tokens, completion tokens and the served model from a chat completion."""
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as e:
        raise ValueError(f"unreadable response: {e}") from None
    usage = data.get("usage") or {}
    pt = int(usage.get("prompt_tokens") or 0) if isinstance(usage, dict) else 0
    ct = int(usage.get("completion_tokens") or 0) if isinstance(usage, dict) else 0
    served = data.get("model")
    return content or "", pt, ct, served if isinstance(served, str) else None


_PRICES: Optional[dict[str, Any]] = None


def _prices() -> dict[str, Any]:
    """litellm's bundled cost map, read as JSON (without importing litellm)."""
    global _PRICES
    if _PRICES is None:
        _PRICES = {}
        try:
            spec = importlib.util.find_spec("litellm")
            locs = list(spec.submodule_search_locations or []) if spec else []
            for loc in locs:
                f = Path(loc) / "model_prices_and_context_window_backup.json"
                if f.is_file():
                    _PRICES = json.loads(f.read_text(encoding="utf-8"))
                    break
        except (ImportError, OSError, ValueError):
            _PRICES = {}
    return _PRICES


def price(model: str, prompt_tokens: int, completion_tokens: int) -> Optional[float]:
    """USD for one answer of an ``openai/`` model from litellm's cost map; None when it has no price.

    When litellm is loaded anyway (another endpoint needs it), its live map is
    used, so prices registered with ``litellm.register_model`` count here too.
    """
    loaded = sys.modules.get("litellm")
    live = getattr(loaded, "model_cost", None) if loaded is not None else None
    table = live if isinstance(live, dict) else _prices()
    name = model.split("/", 1)[1] if model.startswith("openai/") else model
    entry = table.get(model) or table.get(name)
    if not isinstance(entry, dict):
        return None
    pin, pout = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(pin, (int, float)) or not isinstance(pout, (int, float)):
        return None
    return prompt_tokens * pin + completion_tokens * pout
