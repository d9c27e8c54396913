"""A scripted OpenAI-compatible chat server for tests: real HTTP, real SDK, no model.

LLM behaviour is tested by pointing the real ``openai`` client (or anything that speaks the
chat-completions protocol) at this server, never by patching our code. The server runs on
127.0.0.1 on a free port in a background thread::

    with ScriptedOpenAI() as srv:
        srv.script(
            Rule("```verilog\\nmodule TopModule(); endmodule\\n```", user="adder"),
            Rule([Status(429, retry_after_ms=1), "second answer"], system="verifier"),
            Rule(Status(500)),                     # anything else
        )
        client = openai.OpenAI(base_url=srv.base_url, api_key="test")   # base_url ends in /v1
        ...
        assert srv.requests[0].last_user == "..."; assert srv.hits() == [1, 0, 0]

Endpoints: ``POST .../chat/completions`` (so ``/v1/chat/completions`` and
``/chat/completions``), ``GET .../models``. Anything else is a 404 in OpenAI's error shape.

Rules are tried in order; the first whose criteria all hold answers. Criteria (all optional,
substring tests): ``user`` in the last user message, ``system`` in any system/developer
message, ``last`` in the last message of any role (a tool result, in an agent loop), ``model``
equal to the requested model, and ``when``, a predicate on the ChatRequest. A rule owns a
queue of responses used in order; the last one repeats for ever. A request no rule matches
gets HTTP 400 (the SDK does not retry it) and is listed in ``srv.unmatched``.

A response is one of:

- ``str`` or ``Reply``: a chat.completion (or an SSE stream when the request says
  ``"stream": true``) with that content, ``finish_reason``, optional ``tool_calls`` and
  ``reasoning`` (sent as ``reasoning_content``), and usage tokens (len(text)//4 unless given);
- ``Status``: an HTTP error in OpenAI's error JSON, optional ``Retry-After`` /
  ``retry-after-ms`` headers (the SDK sleeps ``retry-after-ms`` exactly; ``Retry-After: 0`` is
  NOT honoured by openai 3.54, which then falls back to its 0.5 s exponential backoff);
- ``Raw``: any bytes with any status and content type (garbage, HTML error pages...);
- ``Drop``: close the connection without answering;
- a callable ``f(request) -> response``: computed per request (echo, counters...).

Every response takes ``delay_s`` (sleep before answering). Every request is recorded
(``srv.requests``: parsed JSON body, lower-cased headers, path, which rule answered).
The server is thread-safe: concurrent requests are served by concurrent threads.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union


@dataclass(frozen=True)
class Reply:
    """A successful chat completion."""

    content: str | None = ""
    finish_reason: str = "stop"
    #: [{"name": str, "arguments": dict | str, "id": optional str}]
    tool_calls: list[dict] | None = None
    #: sent as message.reasoning_content (as vLLM / DeepSeek servers do)
    reasoning: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: omit the usage object entirely (some servers do)
    no_usage: bool = False
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    """An HTTP error with OpenAI's error body ({"error": {"message", "type", "code"}})."""

    code: int
    message: str = ""
    retry_after: float | str | None = None
    retry_after_ms: float | None = None
    #: the x-should-retry header ("true"/"false") that overrides the SDK's own choice
    should_retry: bool | None = None
    delay_s: float = 0.0


@dataclass(frozen=True)
class Raw:
    """Arbitrary bytes: non-JSON garbage, JSON of the wrong shape, an HTML error page."""

    body: bytes | str
    status: int = 200
    content_type: str = "application/json"
    delay_s: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending a response (after ``delay_s``)."""

    delay_s: float = 0.0


@dataclass
class ChatRequest:
    """One recorded request."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    #: the parsed JSON body; None when it was not JSON
    body: dict | None
    #: index of the rule that answered; None when no rule matched (or not a chat request)
    rule: int | None = None
    time: float = 0.0

    @property
    def model(self) -> str | None:
        return (self.body or {}).get("model")

    @property
    def messages(self) -> list[dict]:
        msgs = (self.body or {}).get("messages")
        return msgs if isinstance(msgs, list) else []

    def texts(self, *roles: str) -> list[str]:
        """The text of every message with one of ``roles`` (all roles when none given)."""
        return [_text(m.get("content")) for m in self.messages
                if isinstance(m, dict) and (not roles or m.get("role") in roles)]

    @property
    def system(self) -> str:
        """All system (and developer) messages, joined."""
        return "\n".join(self.texts("system", "developer"))

    @property
    def last_user(self) -> str:
        users = self.texts("user")
        return users[-1] if users else ""

    @property
    def last(self) -> str:
        """The last message, whatever its role."""
        return _text(self.messages[-1].get("content")) if self.messages else ""


Response = Union[str, Reply, Status, Raw, Drop, Callable[[ChatRequest], Any]]


class Rule:
    """Which requests a rule answers, and the responses it gives them, in order."""

    def __init__(self, responses: Response | Sequence[Response], *, user: str | None = None,
                 system: str | None = None, last: str | None = None, model: str | None = None,
                 when: Callable[[ChatRequest], bool] | None = None, name: str | None = None) -> None:
        if isinstance(responses, (str, Reply, Status, Raw, Drop)) or callable(responses):
            responses = [responses]
        self.responses: list[Response] = list(responses)
        if not self.responses:
            raise ValueError("a rule needs at least one response")
        self.user, self.system, self.last, self.model, self.when = user, system, last, model, when
        self.name = name

    def matches(self, req: ChatRequest) -> bool:
        return ((self.user is None or self.user in req.last_user)
                and (self.system is None or self.system in req.system)
                and (self.last is None or self.last in req.last)
                and (self.model is None or self.model == req.model)
                and (self.when is None or bool(self.when(req))))

    def __repr__(self) -> str:
        crit = {k: v for k, v in (("user", self.user), ("system", self.system), ("last", self.last),
                                  ("model", self.model)) if v is not None}
        return f"Rule({self.name or ''}{crit}, {len(self.responses)} responses)"


class ScriptedOpenAI:
    """The server. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, *rules: Rule, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._next: list[int] = []
        self._hits: list[int] = []
        self._requests: list[ChatRequest] = []
        self._ids = 0
        self.script(*rules)
        self._httpd = _QuietServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> ScriptedOpenAI:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                            name="scripted-openai", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """What to pass as the client's base_url (ends in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting -------------------------------------------------------------------------
    def script(self, *rules: Rule) -> ScriptedOpenAI:
        """Replace the rules (and their queues and hit counts); recorded requests stay."""
        with self._lock:
            self._rules = list(rules)
            self._next = [0] * len(rules)
            self._hits = [0] * len(rules)
        return self

    def add(self, rule: Rule) -> ScriptedOpenAI:
        """Append a rule (tried after the existing ones)."""
        with self._lock:
            self._rules.append(rule)
            self._next.append(0)
            self._hits.append(0)
        return self

    def reply(self, *responses: Response, **criteria: Any) -> ScriptedOpenAI:
        """Shorthand: ``add(Rule(list(responses), **criteria))``."""
        return self.add(Rule(list(responses), **criteria))

    def reset(self) -> None:
        """Forget rules and recorded requests."""
        self.script()
        with self._lock:
            self._requests.clear()

    # -- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[ChatRequest]:
        """Every request so far (a copy), in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[ChatRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def unmatched(self) -> list[ChatRequest]:
        return [r for r in self.chat_requests if r.rule is None]

    def hits(self, rule: int | str | None = None) -> Any:
        """Requests answered per rule: all as a list, or one rule's count by index or name."""
        with self._lock:
            if rule is None:
                return list(self._hits)
            if isinstance(rule, str):
                idx = [i for i, r in enumerate(self._rules) if r.name == rule]
                if not idx:
                    raise KeyError(f"no rule named {rule!r}")
                return sum(self._hits[i] for i in idx)
            return self._hits[rule]

    # -- serving (called from handler threads) ----------------------------------------------
    def _record(self, req: ChatRequest) -> None:
        with self._lock:
            self._requests.append(req)

    def _choose(self, req: ChatRequest) -> Response | None:
        with self._lock:
            for i, rule in enumerate(self._rules):
                if rule.matches(req):
                    req.rule = i
                    self._hits[i] += 1
                    n = self._next[i]
                    self._next[i] = min(n + 1, len(rule.responses) - 1)
                    return rule.responses[n]
        return None

    def _new_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-request (a killed process, Drop) is part of the script,
    not an error worth a traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _error_body(code: int, message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": str(code)}}).encode()


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error"}


def _handler_for(server: ScriptedOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints: the SDK reuses connections

        def setup(self) -> None:
            super().setup()
            # headers and body go out as two writes: without this, Nagle + delayed ACK add ~40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def do_GET(self) -> None:
            req = self._read()
            if self.path.rstrip("/").endswith("/models"):
                models = sorted({r.model for r in server._rules if r.model} or {"scripted"})
                self._send(200, json.dumps({"object": "list", "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "scripted"} for m in models]}).encode())
            else:
                self._send(404, _error_body(404, f"scripted server: no GET {req.path}", "not_found_error"))

        def do_POST(self) -> None:
            req = self._read()
            if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
                self._send(404, _error_body(404, f"scripted server: no POST {req.path}", "not_found_error"))
                return
            resp = server._choose(req)
            try:
                while callable(resp) and not isinstance(resp, (Reply, Status, Raw, Drop)):
                    resp = resp(req)
            except Exception as e:  # a broken test script: say so in the answer, not as a dropped socket
                self._send(500, _error_body(500, f"scripted server: response callable raised {e!r}", "server_error"))
                return
            if resp is None:
                self._send(400, _error_body(400, f"scripted server: no rule matches this request "
                                                 f"(model={req.model!r}, last user message "
                                                 f"{req.last_user[:200]!r})", "invalid_request_error"))
                return
            self._answer(req, resp)

        def _read(self) -> ChatRequest:
            n = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(n) if n else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            req = ChatRequest(method=self.command, path=self.path,
                              headers={k.lower(): v for k, v in self.headers.items()}, raw=raw,
                              body=body if isinstance(body, dict) else None, time=time.time())
            server._record(req)
            return req

        def _answer(self, req: ChatRequest, resp: Response) -> None:
            if isinstance(resp, str):
                resp = Reply(resp)
            if getattr(resp, "delay_s", 0):
                time.sleep(resp.delay_s)
            if isinstance(resp, Drop):
                self.close_connection = True
                return
            if isinstance(resp, Raw):
                body = resp.body.encode() if isinstance(resp.body, str) else resp.body
                self._send(resp.status, body, resp.content_type)
            elif isinstance(resp, Status):
                headers = {}
                if resp.retry_after is not None:
                    headers["Retry-After"] = str(resp.retry_after)
                if resp.retry_after_ms is not None:
                    headers["retry-after-ms"] = str(resp.retry_after_ms)
                if resp.should_retry is not None:
                    headers["x-should-retry"] = "true" if resp.should_retry else "false"
                kind = _ERROR_TYPES.get(resp.code, "server_error" if resp.code >= 500 else "invalid_request_error")
                self._send(resp.code, _error_body(resp.code, resp.message or f"scripted {resp.code}", kind),
                           headers=headers)
            elif isinstance(resp, Reply):
                if (req.body or {}).get("stream"):
                    self._send(200, _sse(req, resp, server._new_id()), "text/event-stream", resp.headers)
                else:
                    self._send(200, json.dumps(_completion(req, resp, server._new_id())).encode(),
                               headers=resp.headers)
            else:
                raise TypeError(f"scripted server: not a response: {resp!r}")

        def _send(self, status: int, body: bytes, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _tool_calls(reply: Reply) -> list[dict]:
    out = []
    for i, tc in enumerate(reply.tool_calls or []):
        args = tc.get("arguments", {})
        out.append({"id": tc.get("id", f"call_{i}"), "type": "function",
                    "function": {"name": tc["name"], "arguments": args if isinstance(args, str) else json.dumps(args)}})
    return out


def _usage(req: ChatRequest, reply: Reply) -> dict:
    prompt = reply.prompt_tokens
    if prompt is None:
        prompt = max(1, sum(len(t) for t in req.texts()) // 4)
    completion = reply.completion_tokens
    if completion is None:
        text = (reply.content or "") + "".join(json.dumps(t) for t in reply.tool_calls or [])
        completion = len(text) // 4
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(req: ChatRequest, reply: Reply, n: int) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    out = {"id": f"chatcmpl-scripted-{n}", "object": "chat.completion", "created": int(time.time()),
           "model": req.model or "scripted", "system_fingerprint": "scripted",
           "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}]}
    if not reply.no_usage:
        out["usage"] = _usage(req, reply)
    return out


def _sse(req: ChatRequest, reply: Reply, n: int) -> bytes:
    """The same answer as a stream: role, content in pieces, tool calls, finish, [usage], [DONE]."""
    base = {"id": f"chatcmpl-scripted-{n}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": req.model or "scripted"}

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> bytes:
        return b"data: " + json.dumps({**base, "choices": [
            {"index": 0, "delta": delta, "finish_reason": finish}], **extra}).encode() + b"\n\n"

    parts = [chunk({"role": "assistant", "content": ""})]
    text = reply.content or ""
    parts += [chunk({"content": text[i:i + 16]}) for i in range(0, len(text), 16)]
    for i, tc in enumerate(_tool_calls(reply)):
        parts.append(chunk({"tool_calls": [{"index": i, **tc}]}))
    parts.append(chunk({}, reply.finish_reason))
    if ((req.body or {}).get("stream_options") or {}).get("include_usage") and not reply.no_usage:
        parts.append(b"data: " + json.dumps({**base, "choices": [], "usage": _usage(req, reply)}).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)
