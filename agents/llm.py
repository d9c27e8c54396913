"""The agents' LLM client: the openai SDK against any OpenAI-compatible endpoint, with a
response cache, per-role token and cost accounting, and typed errors.

- Retries: the SDK's own (``max_retries``): 408/409/429/5xx and connection errors with
  exponential backoff, honouring ``Retry-After``. What is left after them is an
  :class:`LLMError` (the loop exits with ``exit_llm_error``).
- Cache: a reply is stored under sha256(model, messages, sampling params) in ``cache_dir``;
  asking the same thing again (a re-run, a resumed run) costs no request and no money.
- Accounting: prompt/completion tokens and USD per role, from the endpoint's ``usage`` and a
  price table (USD per 1M tokens) that the caller may override.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtlsmith.errors import ConfigError, RtlsmithError

#: sent as the key to an endpoint that needs none (local servers: vLLM, llama.cpp, ollama)
PLACEHOLDER_KEY = "no-key"

#: USD per 1M (prompt, completion) tokens; override with --price MODEL=IN,OUT
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6), "gpt-4.1": (2.0, 8.0), "gpt-4.1-mini": (0.4, 1.6),
    "o3-mini": (1.1, 4.4), "deepseek-chat": (0.27, 1.1), "claude-sonnet-4": (3.0, 15.0),
}

STATUS_HINTS = {
    400: "request rejected",
    401: "authentication failed: check the API key in {env}",
    403: "permission denied: the key in {env} may not use this model",
    404: "not found: unknown model {model!r}, or a base URL without /v1",
    408: "request timeout at the server",
    413: "request too large",
    422: "request not understood",
    429: "rate limited",
}


class LLMError(RtlsmithError):
    """The endpoint could not give an answer (down, refused, garbage) after the retries."""

    exit_code = 3


@dataclass
class Reply:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    finish_reason: str | None = None
    cached: bool = False
    seconds: float = 0.0


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    cached_calls: int = 0
    seconds: float = 0.0


@dataclass
class LLMConfig:
    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.2
    top_p: float = 1.0
    max_tokens: int = 4096
    retries: int = 4
    request_timeout_s: float = 120.0
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    cache_dir: Path | None = None
    seed: int | None = None


def default_cache_dir() -> Path:
    return Path(os.environ.get("RTLSMITH_LLM_CACHE", Path.home() / ".cache" / "rtlsmith" / "llm"))


class LLMClient:
    """One SDK client, shared by every node (thread-safe)."""

    def __init__(self, cfg: LLMConfig) -> None:
        try:
            import openai
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ConfigError("the agent loop needs the openai package") from e
        if not cfg.model:
            raise ConfigError("the agent loop needs a model name (--model NAME)")
        self.cfg = cfg
        self._openai = openai
        base_url = cfg.base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = os.environ.get(cfg.api_key_env) or None
        if key is None:
            if base_url is None:
                raise ConfigError(f"no API key in ${cfg.api_key_env} (or give --base-url for a local endpoint "
                                  "that needs none)")
            key = PLACEHOLDER_KEY
        self._client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=cfg.retries,
                                     timeout=cfg.request_timeout_s)
        self.base_url = str(self._client.base_url).rstrip("/")
        self.cache_dir = cfg.cache_dir or default_cache_dir()
        self.prices = {**DEFAULT_PRICES, **cfg.prices}
        self.usage: dict[str, Usage] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ accounting
    def total(self) -> Usage:
        with self._lock:
            t = Usage()
            for u in self.usage.values():
                t.prompt_tokens += u.prompt_tokens
                t.completion_tokens += u.completion_tokens
                t.cost_usd += u.cost_usd
                t.calls += u.calls
                t.cached_calls += u.cached_calls
                t.seconds += u.seconds
            return t

    def _account(self, role: str, r: Reply) -> None:
        with self._lock:
            u = self.usage.setdefault(role, Usage())
            u.calls += 1
            u.cached_calls += r.cached
            u.prompt_tokens += r.prompt_tokens
            u.completion_tokens += r.completion_tokens
            u.cost_usd += r.cost_usd
            u.seconds += r.seconds

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        pin, pout = self.prices.get(self.cfg.model, (0.0, 0.0))
        return (prompt_tokens * pin + completion_tokens * pout) / 1e6

    # ------------------------------------------------------------------ the request
    def request_args(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        c = self.cfg
        args: dict[str, Any] = {"model": c.model, "messages": messages, "temperature": c.temperature,
                                "top_p": c.top_p, "max_tokens": c.max_tokens}
        if c.seed is not None:
            args["seed"] = c.seed
        return args

    def cache_key(self, args: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()

    def chat(self, role: str, messages: list[dict[str, str]]) -> Reply:
        """One answer for ``messages``; cached replies are free. Raises LLMError."""
        args = self.request_args(messages)
        key = self.cache_key(args)
        path = self.cache_dir / key[:2] / f"{key}.json"
        if path.is_file():
            try:
                d = json.loads(path.read_text())
                r = Reply(text=d["text"], prompt_tokens=d["prompt_tokens"], completion_tokens=d["completion_tokens"],
                          cost_usd=0.0, finish_reason=d.get("finish_reason"), cached=True)
                self._account(role, r)
                return r
            except (OSError, ValueError, KeyError):
                pass  # a torn cache file: ask again
        t0 = time.monotonic()
        o = self._openai
        try:
            raw = self._client.chat.completions.with_raw_response.create(**args)
            status, body = raw.http_response.status_code, raw.http_response.text
        except o.APIStatusError as e:
            raise LLMError(self._status_error(e)) from e
        except o.APITimeoutError as e:
            raise LLMError(f"no answer from {self.base_url} within {self.cfg.request_timeout_s:g} s "
                           f"(after {self.cfg.retries} retries)") from e
        except o.APIConnectionError as e:
            raise LLMError(f"cannot reach {self.base_url}: {e.__cause__ or e} (after {self.cfg.retries} retries)") from e
        except o.OpenAIError as e:
            raise LLMError(f"openai client error: {type(e).__name__}: {e}") from e
        r = self._parse(status, body)
        r.seconds = time.monotonic() - t0
        self._account(role, r)
        if r.finish_reason != "length":  # a truncated answer is not worth replaying
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps({"text": r.text, "prompt_tokens": r.prompt_tokens,
                                       "completion_tokens": r.completion_tokens, "finish_reason": r.finish_reason,
                                       "model": self.cfg.model}))
            os.replace(tmp, path)
        return r

    def _parse(self, status: int, body: str) -> Reply:
        try:
            data = json.loads(body)
        except ValueError as e:
            raise LLMError(f"{self.base_url} answered HTTP {status} with a body that is not JSON: {snip(body)}") from e
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            why = error_text(data.get("error")) if isinstance(data, dict) and data.get("error") else "no choices"
            raise LLMError(f"{self.base_url} answered HTTP {status} without a completion ({why}): {snip(body)}")
        msg = choices[0].get("message") if isinstance(choices[0].get("message"), dict) else {}
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        pt, ct = as_int(usage.get("prompt_tokens")), as_int(usage.get("completion_tokens"))
        return Reply(text=content_text(msg.get("content")), prompt_tokens=pt, completion_tokens=ct,
                     cost_usd=self.cost(pt, ct), finish_reason=choices[0].get("finish_reason"))

    def _status_error(self, e: Any) -> str:
        return status_error(e, self.base_url, self.cfg.api_key_env, self.cfg.model, self.cfg.retries)

    def close(self) -> None:
        self._client.close()


# ---------------------------------------------------------------------- shared helpers
def status_error(e: Any, base_url: str, key_env: str, model: str | None, retries: int) -> str:
    """One line for an HTTP error from the SDK: status, what it usually means, the server's text."""
    code = e.status_code
    hint = STATUS_HINTS.get(code, "server error" if code >= 500 else "request failed")
    hint = hint.format(env=f"${key_env}", model=model)
    detail = error_text(e.body) or snip(e.response.text if e.response is not None else "")
    msg = f"HTTP {code} from {base_url}: {hint}: {detail}"
    if code == 429 or code >= 500 or code in (408, 409):
        after = e.response.headers.get("retry-after") if e.response is not None else None
        if after and as_seconds(after) is not None and as_seconds(after) > 120:
            msg += f" (the server asked to retry after {after} s, longer than the client waits)"
        else:
            msg += f" (gave up after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else \
                " (retries disabled)"
    return msg


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts, as some servers send
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def error_text(body: Any) -> str:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner.get("detail") or "")[:300]
        return str(inner)[:300]
    return str(body)[:300] if body else ""


def snip(text: str, n: int = 200) -> str:
    text = text.strip()
    return repr(text[:n] + ("..." if len(text) > n else "")) if text else "(empty body)"


def as_int(v: Any) -> int:
    return v if isinstance(v, int) and v >= 0 else 0


def as_seconds(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None
