"""``openai/<name>``: any OpenAI-compatible chat-completions server (vLLM, llama.cpp, LM Studio).

The other HTTP providers subclass this one and override only what differs (base URL, headers,
path, payload, parsing), as Inspect AI's providers do.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from mapelite.providers.base import GenerateRequest, GenerateResponse, ModelAPI
from mapelite.providers.errors import BadResponseError, ProviderError
from mapelite.providers.http import (
    PreparedPost,
    as_int,
    decode_json_object,
    error_detail,
    error_for_status,
    make_http_client,
    parse_retry_after,
    snippet,
    transport_error,
)
from mapelite.providers.reasoning import openai_reasoning_effort, separate_thinking
from mapelite.schemas import ReasoningSetting


class OpenAICompatAPI(ModelAPI):
    provider = "openai"
    path = "/chat/completions"
    check_path = "/models"
    """GET'ed by the preflight: the model list, which OpenAI-compatible servers serve with the
    key checked (vLLM, llama.cpp and LM Studio serve it without one)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: SecretStr | None = None,
        key_setting: str = "MAPELITE_OPENAI_API_KEY",
        max_connections: int = 8,
        name: str | None = None,
    ) -> None:
        if name is not None:
            # A config-file endpoint: errors, limits and slots carry its name.
            self.provider = name
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._key_setting = key_setting
        self._client = make_http_client(
            self.base_url, max_connections=max_connections, headers=self.headers()
        )
        self._post = PreparedPost(self._client, self.path)

    # -- hooks -------------------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        if self._api_key is None:
            return {}
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    def payload(self, request: GenerateRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [m.model_dump() for m in request.messages],
            "temperature": request.temperature,
            "stream": False,
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.reasoning is not None:
            body.update(self.reasoning_fields(request.reasoning))
        return body

    def reasoning_fields(self, setting: ReasoningSetting) -> dict[str, Any]:
        """How this protocol asks for a reasoning setting (OpenAI: ``reasoning_effort``)."""
        return {"reasoning_effort": openai_reasoning_effort(setting)}

    def parse(self, body: dict[str, Any]) -> GenerateResponse:
        """A chat-completions body -> response; an ``error`` object or no answer -> error.

        Thinking (the ``reasoning``/``reasoning_content`` field, ``<think>`` blocks in the
        content) is kept apart from the answer. A reply cut off at its token budget
        (``finish_reason: "length"``) is the model's answer, even when empty; an empty answer
        that was not cut off is a bad response, whose billed usage the error carries."""
        self.raise_for_error_object(body)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise BadResponseError(
                f"{self.provider} returned no choices: {snippet(str(body))}",
                provider=self.provider,
            )
        first: dict[str, Any] = choices[0] if isinstance(choices[0], dict) else {}
        message = first.get("message")
        message = message if isinstance(message, dict) else {}
        content = message.get("content")
        reported = _text_field(message, "reasoning", "reasoning_content")
        answer, thinking = separate_thinking(content if isinstance(content, str) else "", reported)
        usage = body.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        details = usage.get("completion_tokens_details")
        served_by = body.get("provider")
        response = GenerateResponse(
            text=answer,
            tokens_in=as_int(usage.get("prompt_tokens")),
            tokens_out=as_int(usage.get("completion_tokens")),
            cost_usd=self.reported_cost(usage),
            thinking=thinking,
            finish_reason=_text_field(first, "finish_reason"),
            native_finish_reason=_text_field(first, "native_finish_reason"),
            reasoning_tokens=as_int(details.get("reasoning_tokens"))
            if isinstance(details, dict)
            else 0,
            served_by=served_by if isinstance(served_by, str) and served_by else None,
        )
        return self.checked(response)

    def checked(self, response: GenerateResponse) -> GenerateResponse:
        """The response, or a BadResponseError carrying its usage when it holds no answer and
        was not cut off at its budget."""
        if response.text.strip() or response.finish_reason == "length":
            return response
        raise BadResponseError(
            f"{self.provider} returned an empty answer (finish_reason={response.finish_reason!r})",
            provider=self.provider,
        ).with_billed(response)

    def reported_cost(self, usage: dict[str, Any]) -> float | None:
        return None

    def key_setting(self) -> str | None:
        return self._key_setting

    # -- the call ----------------------------------------------------------------------------

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        try:
            return await self._generate(request)
        except ProviderError as exc:
            raise self._redacted(exc) from None

    async def _generate(self, request: GenerateRequest) -> GenerateResponse:
        try:
            http_request = self._post.build(self.payload(request), request.timeout_s)
            response = await self._client.send(http_request)  # reads the body
        except httpx.HTTPError as exc:
            raise transport_error(exc, provider=self.provider, base_url=self.base_url) from None
        if response.status_code >= 400:
            raise self.status_error(response)
        return self.parse(decode_json_object(response, provider=self.provider))

    async def get_json(self, path: str, *, timeout_s: float) -> dict[str, Any]:
        """GET a JSON object from the endpoint (model lists), with the same error mapping."""
        try:
            try:
                response = await self._client.get(path, timeout=httpx.Timeout(timeout_s))
                await response.aread()
            except httpx.HTTPError as exc:
                raise transport_error(exc, provider=self.provider, base_url=self.base_url) from None
            if response.status_code >= 400:
                raise self.status_error(response)
            return decode_json_object(response, provider=self.provider)
        except ProviderError as exc:
            raise self._redacted(exc) from None

    async def check(self, timeout_s: float) -> None:
        await self.get_json(self.check_path, timeout_s=timeout_s)

    def status_error(self, response: httpx.Response) -> ProviderError:
        try:
            body: dict[str, Any] | None = decode_json_object(response, provider=self.provider)
        except BadResponseError:
            body = None
        return error_for_status(
            response.status_code,
            error_detail(body, response.text),
            provider=self.provider,
            key_setting=self.key_setting(),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def raise_for_error_object(self, body: dict[str, Any]) -> None:
        """OpenRouter (and some proxies) report failures as ``{"error": {...}}`` with HTTP 200."""
        error = body.get("error")
        if error is None or error == {}:
            return
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) else as_int(code) if str(code).isdigit() else 0
        detail = error_detail(body, str(error))
        if status >= 400:
            retry_after = None
            metadata = error.get("metadata") if isinstance(error, dict) else None
            if isinstance(metadata, dict):
                retry_after = parse_retry_after(str(metadata.get("retry_after") or "") or None)
            raise error_for_status(
                status,
                detail,
                provider=self.provider,
                key_setting=self.key_setting(),
                retry_after=retry_after,
            )
        raise BadResponseError(
            f"{self.provider} returned an error object instead of an answer: {detail}",
            provider=self.provider,
        )

    def _redacted(self, exc: ProviderError) -> ProviderError:
        """Belt and braces: a server may echo the key back in an error body."""
        if self._api_key is None:
            return exc
        secret = self._api_key.get_secret_value()
        message = str(exc)
        if not secret or secret not in message:
            return exc
        redacted = type(exc)(
            message.replace(secret, "***"),
            provider=exc.provider,
            status=exc.status,
            retry_after=exc.retry_after,
        )
        redacted.billed = exc.billed
        return redacted

    def connection_key(self) -> str:
        return self.provider

    async def aclose(self) -> None:
        await self._client.aclose()


def _text_field(body: dict[str, Any], *names: str) -> str | None:
    """The first of ``names`` holding a non-empty string."""
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return None
