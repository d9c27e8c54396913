"""Completions from any OpenAI-compatible chat endpoint, through the openai SDK.

One ``openai.OpenAI`` client serves every thread (the SDK's HTTP client is thread-safe and
pools connections). Retries are the SDK's own: ``max_retries=opts.retries`` retries 408, 409,
429, 5xx and connection errors with exponential backoff (0.5 s doubling to 8 s, minus up to
25 % jitter) or, when the server sends one, the ``Retry-After`` / ``retry-after-ms`` delay
(openai 3.54 honours positive values up to 120 s; a longer one means "give up now", and
``Retry-After: 0`` falls back to the backoff).

Every model-side failure comes back as ``Completion(error=...)``; only configuration
mistakes (no model, no key for the public endpoint, no SDK) raise, at construction.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from rtlsmith.benchmarks.core import Completion, Problem, Usage
from rtlsmith.benchmarks.providers import Provider, ProviderOptions
from rtlsmith.agents.extract import extract_verilog
from rtlsmith.agents.llm import PLACEHOLDER_KEY, as_int as _int, content_text as _content_text, \
    error_text as _error_text, snip as _snip, status_error
from rtlsmith.errors import ConfigError

SYSTEM_PROMPT = (
    "You are an expert RTL designer. You write correct, synthesizable Verilog "
    "(SystemVerilog where the task asks for it).\n"
    "Answer with exactly one fenced code block (```verilog ... ```) that defines module `{top}` "
    "with exactly the interface asked for, plus any submodules it instantiates. "
    "If the task ends with a module header, give the complete module, header included. "
    "No explanations, no testbench."
)

class OpenAIProvider(Provider):
    """Chat completions, one request per (problem, sample)."""

    name = "openai"

    def __init__(self, opts: ProviderOptions) -> None:
        super().__init__(opts)
        try:
            import openai
        except ImportError as e:
            raise ConfigError("the openai provider needs the openai package: pip install openai") from e
        if not opts.model:
            raise ConfigError("the openai provider needs a model name (--model NAME)")
        self._openai = openai
        base_url = opts.base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = os.environ.get(opts.api_key_env) or None
        if api_key is None:
            if base_url is None:
                raise ConfigError(f"the openai provider needs an API key in ${opts.api_key_env} "
                                  "(or --base-url for a local endpoint that needs none)")
            api_key = PLACEHOLDER_KEY
        self.concurrency = opts.concurrency
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=opts.retries,
                                     timeout=opts.request_timeout_s)
        self.base_url = str(self._client.base_url).rstrip("/")
        self._close_lock = threading.Lock()
        self._closed = False

    # -- the request -------------------------------------------------------------------------
    def messages(self, problem: Problem) -> list[dict[str, str]]:
        """System instruction plus the problem; a code-complete interface is added when the
        prompt does not already end with it (VerilogEval's code-complete prompts do)."""
        user = problem.prompt
        if problem.interface and " ".join(problem.interface.split()) not in " ".join(user.split()):
            user = f"{user.rstrip()}\n\nUse exactly this module interface:\n```verilog\n{problem.interface.strip()}\n```\n"
        return [{"role": "system", "content": SYSTEM_PROMPT.format(top=problem.top)},
                {"role": "user", "content": user}]

    def request_args(self, problem: Problem, sample: int) -> dict[str, Any]:
        o = self.opts
        args: dict[str, Any] = {"model": o.model, "messages": self.messages(problem),
                                "temperature": o.temperature, "top_p": o.top_p, "max_tokens": o.max_tokens}
        if o.seed is not None:  # distinct per sample, same on a re-run
            args["seed"] = o.seed + sample
        return args

    def complete(self, problem: Problem, sample: int) -> Completion:
        t0 = time.monotonic()
        try:
            raw = self._client.chat.completions.with_raw_response.create(**self.request_args(problem, sample))
            http = raw.http_response
            status, ctype, body = http.status_code, http.headers.get("content-type", ""), http.text
        except self._openai.APIStatusError as e:
            return Completion(error=self._status_error(e), seconds=time.monotonic() - t0)
        except self._openai.APITimeoutError:
            return Completion(error=f"no answer from {self.base_url} within {self.opts.request_timeout_s:g} s "
                                    f"(request timeout; {self._retried})", seconds=time.monotonic() - t0)
        except self._openai.APIConnectionError as e:
            cause = e.__cause__ or e
            return Completion(error=f"cannot reach {self.base_url}: {cause} ({self._retried})",
                              seconds=time.monotonic() - t0)
        except self._openai.OpenAIError as e:  # anything else the SDK refuses (no model-controlled text)
            return Completion(error=f"openai client error: {type(e).__name__}: {e}", seconds=time.monotonic() - t0)
        return self._read(problem, status, ctype, body, t0)

    def _read(self, problem: Problem, status: int, ctype: str, body: str, t0: float) -> Completion:
        def fail(msg: str, raw: str | None = None, usage: Usage | None = None) -> Completion:
            return Completion(error=msg, raw=raw, usage=usage or Usage(), seconds=time.monotonic() - t0)

        try:
            data = json.loads(body)
        except ValueError:
            return fail(f"endpoint {self.base_url} answered HTTP {status} with a body that is not JSON "
                        f"(content-type {ctype or 'none'}): {_snip(body)}")
        if not isinstance(data, dict):
            return fail(f"endpoint answered JSON that is not a chat completion: {_snip(body)}")
        usage = self._usage(data.get("usage"))
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            why = _error_text(data.get("error")) if data.get("error") else "no choices"
            return fail(f"endpoint answered HTTP {status} without a completion ({why}): {_snip(body)}", usage=usage)
        choice = choices[0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = _content_text(message.get("content"))
        finish = choice.get("finish_reason")
        if finish == "length":
            # the official harnesses compile whatever came back: a complete module before the
            # cut still counts; only an answer cut inside its code is "no usable code"
            code, err = extract_verilog(content, problem.top, problem.interface) if content.strip() else (None, "")
            if err is None:
                return Completion(files={problem.completion_file: code}, raw=content, usage=usage,
                                  seconds=time.monotonic() - t0)
            spent = " (spent on reasoning)" if not content.strip() and message.get("reasoning_content") else ""
            return fail(f"answer truncated at max_tokens={self.opts.max_tokens}{spent} (finish_reason=length)",
                        content or None, usage)
        if finish == "content_filter":
            return fail("answer withheld by the endpoint's content filter (finish_reason=content_filter)",
                        content or None, usage)
        if not content.strip():
            return fail(f"answer was empty (finish_reason={finish})", content or None, usage)
        code, err = extract_verilog(content, problem.top, problem.interface)
        if err is not None:
            return fail(err, content, usage)
        return Completion(files={problem.completion_file: code}, raw=content, usage=usage,
                          seconds=time.monotonic() - t0)

    # -- helpers -----------------------------------------------------------------------------
    @property
    def _retried(self) -> str:
        n = self.opts.retries
        return f"gave up after {n} retr{'y' if n == 1 else 'ies'}" if n else "retries disabled"

    def _status_error(self, e: Any) -> str:
        return status_error(e, self.base_url, self.opts.api_key_env, self.opts.model, self.opts.retries)

    def _usage(self, raw: Any) -> Usage:
        raw = raw if isinstance(raw, dict) else {}
        pt, ct = _int(raw.get("prompt_tokens")), _int(raw.get("completion_tokens"))
        pin, pout = self.opts.prices.get(self.opts.model or "", (0.0, 0.0))
        return Usage(prompt_tokens=pt, completion_tokens=ct, cost_usd=(pt * pin + ct * pout) / 1e6)

    def close(self) -> None:
        with self._close_lock:
            if not self._closed:
                self._closed = True
                self._client.close()
