"""The scripted server itself, driven by the real openai SDK (it is the test double of every
LLM test, so its own behaviour is pinned here)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from tests.llm.scripted_server import ChatRequest, Raw, Reply, Rule, ScriptedOpenAI, Status


def client(srv: ScriptedOpenAI, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=kw.pop("max_retries", 0), **kw)


def ask(c: openai.OpenAI, user: str, system: str | None = None, model: str = "m", **kw):
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return c.chat.completions.create(model=model, messages=msgs, **kw)


def test_rules_match_in_order_on_user_system_and_model(scripted_openai):
    scripted_openai.script(
        Rule("designer answer", system="RTL designer", name="designer"),
        Rule("mini answer", model="mini"),
        Rule("adder answer", user="adder"),
        Rule("fallback"),
    )
    c = client(scripted_openai)
    assert ask(c, "an adder", system="You are an RTL designer").choices[0].message.content == "designer answer"
    assert ask(c, "an adder", model="mini").choices[0].message.content == "mini answer"
    assert ask(c, "an adder please").choices[0].message.content == "adder answer"
    assert ask(c, "a mux").choices[0].message.content == "fallback"
    assert scripted_openai.hits() == [1, 1, 1, 1]
    assert scripted_openai.hits("designer") == 1
    assert [r.rule for r in scripted_openai.requests] == [0, 1, 2, 3]


def test_queue_is_used_in_order_and_the_last_repeats(scripted_openai):
    scripted_openai.script(Rule(["one", "two"]))
    c = client(scripted_openai)
    assert [ask(c, "x").choices[0].message.content for _ in range(4)] == ["one", "two", "two", "two"]


def test_completion_shape_and_usage(scripted_openai):
    scripted_openai.script(Rule(Reply("12345678", finish_reason="length", reasoning="hmm")))
    r = ask(client(scripted_openai), "abcdefghijklmnop")
    assert r.object == "chat.completion" and r.model == "m"
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 2 and r.usage.prompt_tokens == 4 and r.usage.total_tokens == 6
    raw = json.loads(scripted_openai.requests[0].raw)
    assert raw["messages"][0]["content"] == "abcdefghijklmnop"
    body = client(scripted_openai).chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "x"}]).http_response.json()
    assert body["choices"][0]["message"]["reasoning_content"] == "hmm"


def test_unmatched_request_is_a_400_and_listed(scripted_openai):
    scripted_openai.script(Rule("only adders", user="adder"))
    with pytest.raises(openai.BadRequestError, match="no rule matches"):
        ask(client(scripted_openai, max_retries=3), "a mux")
    assert len(scripted_openai.unmatched) == 1 and scripted_openai.unmatched[0].last_user == "a mux"


def test_status_headers(scripted_openai):
    scripted_openai.script(Rule(Status(429, "slow", retry_after=7, retry_after_ms=5, should_retry=False)))
    with pytest.raises(openai.RateLimitError) as e:
        ask(client(scripted_openai, max_retries=3), "x")
    h = e.value.response.headers
    assert (h["retry-after"], h["retry-after-ms"], h["x-should-retry"]) == ("7", "5", "false")
    assert e.value.body["message"] == "slow"
    assert len(scripted_openai.requests) == 1  # x-should-retry: false is obeyed


def test_raw_body_is_sent_verbatim(scripted_openai):
    scripted_openai.script(Rule(Raw(b"\x00garbage", status=502, content_type="text/plain")))
    with pytest.raises(openai.InternalServerError) as e:
        ask(client(scripted_openai), "x")
    assert e.value.response.content == b"\x00garbage"


def test_callable_response_sees_the_request(scripted_openai):
    scripted_openai.script(Rule(lambda req: Reply(f"echo: {req.last_user} ({len(req.messages)} msgs)")))
    assert ask(client(scripted_openai), "ping").choices[0].message.content == "echo: ping (1 msgs)"


def test_callable_that_raises_answers_500(scripted_openai):
    def broken(req: ChatRequest) -> str:
        raise RuntimeError("script bug")

    scripted_openai.script(Rule(broken))
    with pytest.raises(openai.InternalServerError, match="script bug"):
        ask(client(scripted_openai), "x")


def test_multi_role_conversation_with_tool_calls(scripted_openai):
    """An agent loop: the model calls a tool, gets its result, then answers."""
    scripted_openai.script(
        Rule(Reply("sim passed, done"), last="PASS", name="after-tool"),
        Rule(Reply(None, finish_reason="tool_calls",
                   tool_calls=[{"name": "run_sim", "arguments": {"top": "TopModule"}, "id": "call_sim"}]),
             system="verifier", name="call-tool"),
    )
    c = client(scripted_openai)
    msgs = [{"role": "system", "content": "You are the verifier."}, {"role": "user", "content": "check it"}]
    tools = [{"type": "function", "function": {"name": "run_sim", "parameters": {"type": "object"}}}]
    r1 = c.chat.completions.create(model="m", messages=msgs, tools=tools)
    call = r1.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_sim", "run_sim", {"top": "TopModule"})
    msgs += [r1.choices[0].message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": call.id, "content": "PASS 12/12"}]
    r2 = c.chat.completions.create(model="m", messages=msgs, tools=tools)
    assert r2.choices[0].message.content == "sim passed, done"
    assert scripted_openai.hits("call-tool") == 1 and scripted_openai.hits("after-tool") == 1
    last = scripted_openai.requests[-1]
    assert last.last == "PASS 12/12" and last.last_user == "check it" and last.body["tools"][0]["function"]["name"] == "run_sim"


def test_streaming(scripted_openai):
    text = "module TopModule(); endmodule -- long enough to come in several chunks"
    scripted_openai.script(Rule(Reply(text, prompt_tokens=3, completion_tokens=5)))
    stream = ask(client(scripted_openai), "x", stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == text
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 5


def test_content_parts_and_developer_role(scripted_openai):
    scripted_openai.script(Rule("ok", system="be brief", user="part two"))
    c = client(scripted_openai)
    r = c.chat.completions.create(model="m", messages=[
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "part one, "}, {"type": "text", "text": "part two"}]}])
    assert r.choices[0].message.content == "ok"


def test_paths_and_models(scripted_openai):
    scripted_openai.script(Rule("ok", model="gpt-test"))
    c = openai.OpenAI(base_url=scripted_openai.base_url.removesuffix("/v1"), api_key="k", max_retries=0)
    assert ask(c, "x", model="gpt-test").choices[0].message.content == "ok"
    assert scripted_openai.requests[-1].path == "/chat/completions"
    assert [m.id for m in client(scripted_openai).models.list()] == ["gpt-test"]
    with pytest.raises(openai.NotFoundError):
        client(scripted_openai).embeddings.create(model="e", input="x")


def test_concurrent_requests_are_all_recorded_and_counted(scripted_openai):
    scripted_openai.script(Rule(Reply("ok", delay_s=0.05)))
    c = client(scripted_openai)
    with ThreadPoolExecutor(16) as pool:
        out = list(pool.map(lambda i: ask(c, f"q{i}").choices[0].message.content, range(64)))
    assert out == ["ok"] * 64
    assert scripted_openai.hits() == [64]
    assert sorted(r.last_user for r in scripted_openai.requests) == sorted(f"q{i}" for i in range(64))


def test_context_manager_frees_the_port():
    with ScriptedOpenAI(Rule("ok")) as srv:
        port = srv.port
        assert ask(client(srv), "x").choices[0].message.content == "ok"
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}])


def test_reset_and_add(scripted_openai):
    scripted_openai.reply("a", user="x").reply("b")
    assert ask(client(scripted_openai), "x").choices[0].message.content == "a"
    scripted_openai.reset()
    assert scripted_openai.requests == [] and scripted_openai.hits() == []
