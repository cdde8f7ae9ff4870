"""A protocol-faithful local model server for tests and benches (real HTTP on 127.0.0.1).

Speaks OpenAI chat-completions (``/v1/chat/completions``, ``/v1/models``), OpenRouter's key
check (``/v1/key``) and Ollama (``/api/chat``, ``/api/tags``). The list/key endpoints are what
a preflight asks; they are counted apart from model calls (`ModelServer.check_requests`).
Each model can be scripted (latency, answers, faults, and what real models do: reasoning within
``max_tokens``, ``<think>`` blocks, ``usage.cost``, the serving ``provider``, a per-window
request limit — `mapelite.testing.scripts`, `mapelite.testing.replies`); the server counts
requests, the maximum in flight, what it billed, and logs each request's arrival time and its
reasoning/routing fields per model.

In a test::

    with ModelServer() as server:
        server.script("m1", ModelScript(fault=Fault.rate_limit("1"), fault_rate=0.3))
        ... settings.openai_base_url = server.base_url ...
        server.stats("m1").max_in_flight

Standalone (benches, subprocess tests): ``python -m mapelite.testing.model_server --port 0
--latency 0.05`` prints the port on its first line and serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import threading
import time
from dataclasses import replace
from typing import Any

from aiohttp import web

from mapelite.testing.answers import default_answer, wrong_candidate
from mapelite.testing.replies import (
    NoProviderError,
    compose,
    fault_response,
    ollama_body,
    openai_body,
)
from mapelite.testing.scripts import AnswerRequest, Fault, ModelScript
from mapelite.testing.server_stats import ModelStats, RateWindows, RequestLog

__all__ = ["ModelServer", "ModelStats", "RequestLog"]

ATTRIBUTION = ("HTTP-Referer", "X-Title")
REQUEST_FIELDS = (
    "reasoning",
    "reasoning_effort",
    "think",
    "provider",
    "max_tokens",
    "max_completion_tokens",
    "options",
    "usage",
)


class ModelServer:
    def __init__(
        self,
        *,
        port: int = 0,
        latency_s: float = 0.0,
        require_key: str | None = None,
    ) -> None:
        self._requested_port = port
        self.default_script = ModelScript(latency_s=latency_s)
        self.require_key = require_key
        self.models_payload: dict[str, Any] | None = None
        self._scripts: dict[str, ModelScript] = {}
        self._stats: dict[str, ModelStats] = {}
        self._total = ModelStats()  # every model together (log not kept)
        self._checks: dict[str, int] = {}  # GET path -> requests (not model calls)
        self._windows = RateWindows()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- configuration and inspection ----------------------------------------------------------

    def script(self, model: str, script: ModelScript) -> None:
        """Script one model; ``"*"`` scripts every model that has no script of its own."""
        with self._lock:
            if model == "*":
                self.default_script = script
            else:
                self._scripts[model] = script

    def stats(self, model: str) -> ModelStats:
        with self._lock:
            current = self._stats.get(model, ModelStats())
            return replace(current, log=[replace(entry) for entry in current.log])

    def total_stats(self) -> ModelStats:
        """Requests and max in flight over every model together (a provider-wide limit)."""
        with self._lock:
            return replace(self._total, log=[])

    def check_requests(self, path: str | None = None) -> int:
        """Requests to the list/key endpoints (``/v1/models``, ``/v1/key``, ``/api/tags``):
        what a preflight costs; never counted as model calls."""
        with self._lock:
            if path is not None:
                return self._checks.get(path, 0)
            return sum(self._checks.values())

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()
            self._total = ModelStats()
            self._checks.clear()
            self._windows.clear()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def ollama_url(self) -> str:
        return self.root_url

    # -- lifecycle --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/key", self._key)  # OpenRouter's key check
        app.router.add_get("/v1/auth/key", self._key)  # its older name
        app.router.add_post("/api/chat", self._ollama_chat)
        app.router.add_get("/api/tags", self._ollama_tags)
        app.router.add_get("/_stats", self._stats_endpoint)
        app.router.add_get("/_timeline", self._timeline_endpoint)
        app.router.add_post("/_reset", self._reset_endpoint)
        return app

    async def start_async(self) -> None:
        # handler_cancellation: a client that gave up (timeout) frees its hanging handler.
        self._runner = web.AppRunner(self.app(), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port, backlog=1024)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> ModelServer:
        """Serve from a background thread with its own event loop."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._thread = threading.Thread(target=serve, name="model-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
            self._loop = None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------

    def _begin(self, model: str, entry: RequestLog) -> tuple[ModelScript, int]:
        with self._lock:
            stats = self._stats.setdefault(model, ModelStats())
            stats.log.append(entry)
            index = stats.requests
            stats.requests += 1
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            total = self._total
            total.requests += 1
            total.in_flight += 1
            total.max_in_flight = max(total.max_in_flight, total.in_flight)
            if total.first_arrival_s is None:
                total.first_arrival_s = entry.arrival_s
            return self._scripts.get(model, self.default_script), index

    def _end(self, model: str, entry: RequestLog, status: int, fault: str | None) -> None:
        with self._lock:
            entry.status, entry.fault = status, fault
            stats = self._stats[model]
            stats.in_flight -= 1
            self._total.in_flight -= 1
            self._total.last_done_s = time.monotonic()
            stats.billed_usd += entry.billed_usd
            self._total.billed_usd += entry.billed_usd

    def _over_rate(self, model: str, script: ModelScript, arrival_s: float) -> float | None:
        """Seconds until the model's rate window has room when this request is one too many
        (refused, not counted); None when it is accepted."""
        if script.rate_limit is None:
            return None
        with self._lock:
            wait = self._windows.admit(script.rate_group or model, *script.rate_limit, arrival_s)
            if wait is not None:
                self._stats[model].rate_limited += 1
            return wait

    async def _handle(self, request: web.Request, *, ollama: bool) -> web.StreamResponse:
        try:
            body = await request.json()
            model = str(body["model"])
            messages = tuple(
                {"role": str(m.get("role", "")), "content": str(m.get("content", ""))}
                for m in body["messages"]
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return web.json_response({"error": {"message": "bad request", "code": 400}}, status=400)
        key = hashlib.sha256(json.dumps(messages).encode()).hexdigest()[:16]
        headers = {
            h: request.headers[h] for h in ("HTTP-Referer", "X-Title") if h in request.headers
        }
        fields = {name: body[name] for name in REQUEST_FIELDS if name in body}
        entry = RequestLog(arrival_s=time.monotonic(), key=key, headers=headers, fields=fields)
        script, index = self._begin(model, entry)
        status, fault_kind = 499, None  # 499: the client gave up (e.g. its timeout)
        try:
            if self.require_key is not None:
                presented = request.headers.get("Authorization", "")
                if presented != f"Bearer {self.require_key}":
                    status = 401
                    # Echo what was presented, as some real servers do: clients must redact.
                    message = f"Incorrect API key provided: {presented.removeprefix('Bearer ')}"
                    return web.json_response(
                        {"error": {"message": message, "code": 401}}, status=401
                    )
            wait = self._over_rate(model, script, entry.arrival_s)
            if wait is not None:
                status, fault_kind = 429, "rate_window"
                retry_after = str(max(1, math.ceil(wait)))
                error = {"message": "Rate limit exceeded: free-models-per-min", "code": 429}
                return web.json_response(
                    {"error": error}, status=429, headers={"Retry-After": retry_after}
                )
            fault = script.fault_for(index)
            fault_kind = fault.kind if fault else None
            if script.latency_s > 0:
                await asyncio.sleep(script.latency_s)
            if fault is not None and fault.kind == "hang":
                await asyncio.sleep(fault.hang_s)
                fault = None
            answer_request = AnswerRequest(model=model, messages=messages, index=index)
            answer = script.scripted_answer(answer_request)
            if answer is None:
                answer = default_answer(answer_request.user_text)
            response = self._respond(
                model, messages, answer, script, fault, body, entry, index, ollama=ollama
            )
            status = response.status
            return response
        finally:
            self._end(model, entry, status, fault_kind)

    def _respond(
        self,
        model: str,
        messages: tuple[dict[str, str], ...],
        answer: str,
        script: ModelScript,
        fault: Fault | None,
        body: dict[str, Any],
        entry: RequestLog,
        index: int,
        *,
        ollama: bool,
    ) -> web.Response:
        if fault is not None:
            faulty = fault_response(fault, ollama=ollama)
            if faulty is not None:
                return faulty
            if fault.kind == "empty_content":
                answer = ""
        prompt_tokens = max(1, sum(len(m["content"]) for m in messages) // 4)
        user_text = "\n".join(m["content"] for m in messages if m["role"] == "user")
        try:
            reply = compose(
                script,
                body,
                prompt_tokens,
                answer,
                key=entry.key,
                index=index,
                wrong=wrong_candidate(user_text) if script.thinks else None,
                ollama=ollama,
            )
        except NoProviderError:
            error = {"message": "No allowed providers are available for the model", "code": 503}
            return web.json_response({"error": error}, status=503)
        entry.billed_usd = reply.cost_usd or 0.0
        entry.finish_reason, entry.served_by = reply.finish_reason, reply.served_by
        emptied = fault is not None and fault.kind == "empty_choices"
        if ollama:
            return web.json_response(ollama_body(model, reply, message=not emptied))
        return web.json_response(openai_body(model, reply, script, choices=not emptied))

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, ollama=False)

    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, ollama=True)

    def _count_check(self, request: web.Request) -> web.Response | None:
        """Count a list/key request; the 401 a wrong key gets (None when it may proceed)."""
        with self._lock:
            self._checks[request.path] = self._checks.get(request.path, 0) + 1
        if self.require_key is None:
            return None
        if request.headers.get("Authorization", "") == f"Bearer {self.require_key}":
            return None
        error = {"message": "No auth credentials found", "code": 401}
        return web.json_response({"error": error}, status=401)

    def _model_names(self) -> list[str]:
        with self._lock:
            return sorted(set(self._scripts) | set(self._stats))

    async def _models(self, request: web.Request) -> web.Response:
        refused = self._count_check(request)
        if refused is not None:
            return refused
        if self.models_payload is not None:
            return web.json_response(self.models_payload)
        names = self._model_names()
        return web.json_response({"object": "list", "data": [{"id": n} for n in names]})

    async def _key(self, request: web.Request) -> web.Response:
        refused = self._count_check(request)
        if refused is not None:
            return refused
        data = {"label": "sk-or-v1-tes...t", "limit": None, "usage": 0.0, "is_free_tier": False}
        return web.json_response({"data": data})

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        refused = self._count_check(request)
        if refused is not None:
            return refused
        return web.json_response({"models": [{"name": n, "model": n} for n in self._model_names()]})

    async def _stats_endpoint(self, request: web.Request) -> web.Response:
        with self._lock:
            payload = {
                m: {"requests": s.requests, "max_in_flight": s.max_in_flight}
                for m, s in self._stats.items()
            }
        return web.json_response(payload)

    async def _timeline_endpoint(self, request: web.Request) -> web.Response:
        """Every model together: requests, and when the first arrived and the last was answered
        (``time.monotonic()``, comparable with other processes' on this machine)."""
        with self._lock:
            total = self._total
            payload = {
                "requests": total.requests,
                "first_arrival_s": total.first_arrival_s,
                "last_done_s": total.last_done_s,
            }
        return web.json_response(payload)

    async def _reset_endpoint(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return web.json_response({"reset": True})


async def serve_forever(port: int, latency_s: float) -> None:
    server = ModelServer(port=port, latency_s=latency_s)
    await server.start_async()
    print(server.port, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop_async()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local OpenAI/Ollama-compatible model server")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.port, args.latency))


if __name__ == "__main__":
    main()
