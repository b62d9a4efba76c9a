"""A local OpenAI-compatible server with planted model behaviours, for probe tests and the bench.

litellm reaches it over real HTTP (``api_base=http://127.0.0.1:PORT/v1``,
model strings ``openai/<name>``); nothing is patched. The server knows the
test eval sets and the built-in general set (its *oracle*) and answers
according to the model name:

==============  ===============================================================
``base``        task: wrong on every 4th routing ticket (ids t01, t05, ...);
                general: all right; closed-book facts: "I don't know";
                with context: right; robust to perturbations; JSON on request
``tuned``       like base but right on every routing ticket
``forgetful``   like tuned, but wrong on every 3rd general item (file order)
``brittle``     like tuned on original inputs, wrong on any perturbed input
``nocontext``   like base, but ignores context (always closed-book)
``prose``       like base, but answers the format suite in prose, not JSON
``templated``   like tuned, but every answer wrapped in ChatML tokens
                (``<|im_start|>assistant ... <|im_end|>``): a chat-template mismatch
``judge``       grades: PASS when the reference appears in the answer
``paraphraser`` returns "In other words, " + the input
==============  ===============================================================

Fault prefixes, ``<fault>+<behaviour>`` (e.g. ``429+base``), act on the first
attempt of each distinct request, then the behaviour answers: ``429`` (with
``Retry-After: 0``), ``500``, ``garbage`` (a 200 whose body is not JSON),
``hang`` (sleeps ``hang_s``, past the client's timeout); ``surrogate`` adds a
lone UTF-16 surrogate (``\\ud800``, escaped in the JSON body) to every answer; ``escape`` fails every
attempt with a 400 whose message holds terminal escape sequences; ``down`` fails every
attempt with 500; ``keyecho`` fails every attempt with a 401 whose message
repeats the API key it was sent (leak tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "probe"
QUEUES = ["billing", "shipping", "account", "technical"]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


@dataclass
class Item:
    """What the server knows about one prompt."""

    kind: str  # task | kb | general
    index: int
    expected: str
    original: str
    context: Optional[str] = None
    reference: Optional[str] = None


@dataclass
class Oracle:
    """The prompts the server recognises."""

    inputs: dict[str, Item] = field(default_factory=dict)  # normalized input -> item
    general: dict[str, Item] = field(default_factory=dict)  # exact prompt -> item
    _words: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, eval_files: tuple[Path, ...] = (), general_file: Optional[Path] = None) -> "Oracle":
        o = cls()
        for f in eval_files:
            kind = "kb" if "kb" in f.name else "task"
            for i, line in enumerate(x for x in f.read_text().splitlines() if x.strip()):
                obj = json.loads(line)
                o.inputs[_norm(obj["input"])] = Item(kind, i, str(obj.get("expected", "")), obj["input"], obj.get("context"))
                o._words[_norm(obj["input"])] = set(_norm(obj["input"]).split())
        gf = general_file or ROOT / "playbooks" / "probes" / "general.yaml"
        for i, it in enumerate(yaml.safe_load(gf.read_text())["items"]):
            o.general[it["prompt"]] = Item("general", i, str(it.get("expected", "")), it["prompt"],
                                           reference=it["reference"])
        return o

    def match(self, text: str) -> tuple[Optional[Item], bool]:
        """The eval item ``text`` was made from, and whether it was perturbed."""
        n = _norm(text)
        if n in self.inputs:
            item = self.inputs[n]
            return item, text != item.original
        # Word-set overlap: cheap (the bench shares its CPU with this server) and
        # robust to typos, case, spacing, truncation and an added sentence.
        words = set(n.split())
        best, best_score = None, 0.0
        for key, ws in self._words.items():
            score = len(words & ws) / len(words | ws)
            if score > best_score:
                best, best_score = key, score
        return (self.inputs[best], True) if best is not None and best_score >= 0.3 else (None, False)


def wrong_queue(q: str) -> str:
    return QUEUES[(QUEUES.index(q) + 1) % len(QUEUES)] if q in QUEUES else "billing"


def base_task_wrong(index: int) -> bool:
    """The routing tickets the base model gets wrong: every 4th (index 0, 4, 8, ...)."""
    return index % 4 == 0


def forgetful_general_wrong(index: int) -> bool:
    """The general items the forgetful model gets wrong: every 3rd (index 0, 3, 6, ...)."""
    return index % 3 == 0


class ModelServer:
    """The aiohttp app plus counters the tests read.

    Args:
        oracle: the prompts it knows.
        latency: seconds to wait before each answer.
        hang_s: how long a ``hang`` fault sleeps.

    ``hold_after``: when set to N, the requests after the first N admitted since the last
    reset wait, unanswered, until it is set back to None; a test that must interrupt a run
    part-way uses it, so how far the run gets does not depend on the machine's speed.
    """

    def __init__(self, oracle: Oracle, latency: float = 0.0, hang_s: float = 3.0) -> None:
        self.oracle = oracle
        self.latency = latency
        self.hang_s = hang_s
        self.hold_after: Optional[int] = None
        self.requests: Counter[str] = Counter()  # model -> requests received
        self.attempts: Counter[str] = Counter()  # request fingerprint -> attempts
        # (model, request fingerprint) -> faults this server injected: what a test planted,
        # as opposed to retries a slow machine adds (a client timeout on a healthy request)
        self.faults: Counter[tuple[str, str]] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self.chat)
        self.app.router.add_get("/stats", self.stats)  # for the bench: the span of the last batch
        self.first_in: Optional[float] = None  # when the first request since reset arrived (epoch s)
        self.last_out: Optional[float] = None  # when the last answer since reset was sent
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    async def stats(self, request: web.Request) -> web.StreamResponse:
        """``{"requests", "first_in", "last_out", "span_s"}`` since the last reset; ``?reset=1`` resets."""
        out = {"requests": self.total, "first_in": self.first_in, "last_out": self.last_out,
               "span_s": (self.last_out - self.first_in) if self.first_in and self.last_out else None}
        if request.query.get("reset"):
            self.reset()
        return web.json_response(out)

    def reset(self) -> None:
        with self._lock:
            self.first_in = self.last_out = None
            self.requests.clear()
            self.attempts.clear()
            self.faults.clear()
            self.headers_seen.clear()

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model: str = body["model"]
        msgs = body["messages"]
        fp = hashlib.sha256(json.dumps([model, msgs], sort_keys=True).encode()).hexdigest()
        with self._lock:
            if self.first_in is None:
                self.first_in = time.time()
            self.requests[model] += 1
            self.attempts[fp] += 1
            attempt = self.attempts[fp]
            admitted = self.total
            if len(self.headers_seen) < 5:
                self.headers_seen.append(dict(request.headers))
        while self.hold_after is not None and admitted > self.hold_after:
            await asyncio.sleep(0.01)
        if self.latency:
            await asyncio.sleep(self.latency)
        fault, _, behaviour = model.rpartition("+")
        if fault == "escape":  # a hostile or broken server: its error text tries to drive the terminal
            return web.json_response({"error": {"message": "bad \x1b]0;pwned\x07\x1b[2J\x1b[31mrequest\x9b1m",
                                                "type": "invalid_request_error"}}, status=400)
        if fault == "down":
            return web.json_response({"error": {"message": "server down"}}, status=500)
        if fault == "keyecho":  # a careless proxy that echoes the credential in its error
            key = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return web.json_response({"error": {"message": f"Incorrect API key provided: {key}",
                                                "type": "invalid_request_error"}}, status=401)
        if fault and attempt == 1 and fault in ("429", "500", "garbage", "hang"):
            with self._lock:
                self.faults[(model, fp)] += 1
            if fault == "429":
                return web.json_response({"error": {"message": "slow down", "type": "rate_limit"}},
                                         status=429, headers={"Retry-After": "0"})
            if fault == "500":
                return web.json_response({"error": {"message": "boom"}}, status=500)
            if fault == "garbage":
                return web.Response(text="<html>not json at all", content_type="application/json")
            if fault == "hang":
                await asyncio.sleep(self.hang_s)
        answer = self.answer("tuned" if behaviour == "templated" else behaviour, msgs)
        if behaviour == "templated":
            answer = f"<|im_start|>assistant\n{answer}<|im_end|>"
        if fault == "surrogate":
            answer += "\ud800"
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in msgs)
        self.last_out = time.time()
        return web.json_response({
            "id": "chatcmpl-" + fp[:12],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": prompt_words, "completion_tokens": len(answer.split()),
                      "total_tokens": prompt_words + len(answer.split())},
        })

    def answer(self, behaviour: str, msgs: list[dict[str, Any]]) -> str:
        system = next((m["content"] for m in msgs if m["role"] == "system"), "")
        user = msgs[-1]["content"]
        if behaviour == "judge":
            ans = user.split("Answer to grade:\n", 1)[-1].split("\n\nVerdict", 1)[0]
            ref = user.split("Reference answer:\n", 1)[-1].split("\n\n", 1)[0] if "Reference answer:" in user else ""
            return "PASS" if ref and _norm(ref) in _norm(ans) else "FAIL"
        if behaviour == "paraphraser":
            return "In other words, " + user
        if user in self.oracle.general:
            item = self.oracle.general[user]
            if behaviour == "forgetful" and forgetful_general_wrong(item.index):
                return "I am not sure, sorry."
            return item.reference or ""
        context = None
        text = user
        if user.startswith("Context:\n") and "\n\nInput:\n" in user:
            head, text = user.split("\n\nInput:\n", 1)
            context = head[len("Context:\n"):]
        item, perturbed = self.oracle.match(text)
        if item is None:
            return "I don't know."
        right = item.expected
        if behaviour == "brittle" and perturbed:
            right = wrong_queue(right) if item.kind == "task" else "I don't know."
        elif item.kind == "task" and behaviour in ("base", "nocontext", "prose") and base_task_wrong(item.index):
            right = wrong_queue(right)
        elif item.kind == "kb" and (context is None or behaviour == "nocontext"):
            right = "I don't know."
        if "JSON" in system:
            if behaviour == "prose":
                return f"Sure! The answer is {right}."
            return json.dumps({"answer": right})
        return right


class ServerThread:
    """Runs a :class:`ModelServer` on 127.0.0.1 in a background thread with its own loop.

    A thread (not the test's event loop) so sync tests, async tests and CLI
    subprocesses can all use one server.
    """

    def __init__(self, server: ModelServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.port: int = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.server.app, access_log=None)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._runner = runner
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def start(self) -> "ServerThread":
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def serve_forever(latency: float, port: int = 0) -> None:  # pragma: no cover - used by the bench
    """Run a server in this process until killed, printing its port first."""
    server = ModelServer(Oracle.load((DATA / "eval.jsonl",)), latency=latency)

    async def main() -> None:
        runner = web.AppRunner(server.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


if __name__ == "__main__":  # pragma: no cover
    import sys

    serve_forever(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
