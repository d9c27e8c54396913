"""The openai provider, with the real openai SDK, against the scripted server over HTTP."""
from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from rtlsmith.benchmarks.core import Problem
from rtlsmith.benchmarks.providers import ProviderOptions, get_provider
from rtlsmith.benchmarks.providers.openai_provider import PLACEHOLDER_KEY, OpenAIProvider
from rtlsmith.errors import ConfigError
from tests.llm.scripted_server import Drop, Raw, Reply, Rule, ScriptedOpenAI, Status

MOD = "module TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n"
ANSWER = f"```verilog\n{MOD}```"
PROBLEM = Problem(id="Prob001_zero", benchmark="verilog-eval", task="spec-to-rtl",
                  prompt="Build a circuit that always outputs a LOW.", top="TopModule", reference={}, harness={})


def provider(srv: ScriptedOpenAI, **kw) -> OpenAIProvider:
    opts = {"model": "m", "base_url": srv.base_url, "retries": 2, "request_timeout_s": 10.0, **kw}
    return OpenAIProvider(ProviderOptions(**opts))


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- the good path ----------------------------------------------------------------------------
def test_good_answer_files_usage_and_cost(scripted_openai):
    scripted_openai.script(Rule(Reply(f"Here:\n{ANSWER}\nDone.", prompt_tokens=1000, completion_tokens=500)))
    p = provider(scripted_openai, prices={"m": (2.0, 8.0)}, temperature=0.2, top_p=0.9, max_tokens=777)
    c = p.complete(PROBLEM, 1)
    p.close()
    assert c.error is None
    assert c.files == {"sample.sv": MOD}
    assert c.raw == f"Here:\n{ANSWER}\nDone."
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (1000, 500)
    assert c.usage.cost_usd == pytest.approx(1000 * 2.0 / 1e6 + 500 * 8.0 / 1e6)
    assert c.seconds > 0
    [req] = scripted_openai.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer test-key"
    b = req.body
    assert (b["model"], b["temperature"], b["top_p"], b["max_tokens"]) == ("m", 0.2, 0.9, 777)
    assert "seed" not in b
    assert [m["role"] for m in b["messages"]] == ["system", "user"]
    assert "module `TopModule`" in req.system and "fenced" in req.system
    assert req.last_user == PROBLEM.prompt


def test_unknown_model_costs_nothing(scripted_openai):
    scripted_openai.script(Rule(Reply(ANSWER, prompt_tokens=10, completion_tokens=20)))
    c = provider(scripted_openai, prices={"other": (5.0, 5.0)}).complete(PROBLEM, 1)
    assert c.usage == c.usage.model_copy(update={"cost_usd": 0.0}) and c.usage.completion_tokens == 20


def test_registry_builds_it(scripted_openai):
    p = get_provider("openai", ProviderOptions(model="m", base_url=scripted_openai.base_url, concurrency=3))
    assert isinstance(p, OpenAIProvider) and p.name == "openai" and p.concurrency == 3 and p.model == "m"
    p.close()
    p.close()  # idempotent


def test_seed_differs_per_sample_and_repeats_on_rerun(scripted_openai):
    scripted_openai.script(Rule(ANSWER))
    p = provider(scripted_openai, seed=100)
    for s in (1, 2, 3, 1):
        assert p.complete(PROBLEM, s).error is None
    assert [r.body["seed"] for r in scripted_openai.requests] == [101, 102, 103, 101]


def test_code_complete_interface_added_when_the_prompt_lacks_it(scripted_openai):
    ifc = "module TopModule (\n  output zero\n);\n"
    scripted_openai.script(Rule("  assign zero = 1'b0;\nendmodule"))
    p = provider(scripted_openai)
    lacks = Problem(**{**PROBLEM.__dict__, "task": "code-complete", "interface": ifc})
    has = Problem(**{**lacks.__dict__, "prompt": PROBLEM.prompt + "\n\n" + ifc})
    c = p.complete(lacks, 1)
    assert c.files == {"sample.sv": ifc + "  assign zero = 1'b0;\nendmodule\n"}
    assert "Use exactly this module interface" in scripted_openai.requests[-1].last_user
    p.complete(has, 1)
    assert scripted_openai.requests[-1].last_user == has.prompt  # not repeated


# -- retries: the SDK's own, checked on the wire -------------------------------------------------
def test_429_then_success_is_retried(scripted_openai):
    scripted_openai.script(Rule([Status(429, "slow down", retry_after_ms=1), ANSWER]))
    c = provider(scripted_openai).complete(PROBLEM, 1)
    assert c.error is None and c.files
    reqs = scripted_openai.requests
    assert len(reqs) == 2
    assert [r.headers.get("x-stainless-retry-count") for r in reqs] == ["0", "1"]


def test_500_then_success_is_retried(scripted_openai):
    scripted_openai.script(Rule([Status(500, retry_after_ms=1), Status(503, retry_after_ms=1), ANSWER]))
    c = provider(scripted_openai, retries=2).complete(PROBLEM, 1)
    assert c.error is None and len(scripted_openai.requests) == 3


def test_retry_after_is_honoured(scripted_openai):
    scripted_openai.script(Rule([Status(429, retry_after="0.3"), ANSWER]))
    t0 = time.monotonic()
    c = provider(scripted_openai).complete(PROBLEM, 1)
    gap = scripted_openai.requests[1].time - scripted_openai.requests[0].time
    assert c.error is None and gap >= 0.28 and time.monotonic() - t0 >= 0.28


def test_persistent_500_is_an_error_naming_the_status(scripted_openai):
    scripted_openai.script(Rule(Status(500, "model overloaded", retry_after_ms=1)))
    c = provider(scripted_openai, retries=2).complete(PROBLEM, 1)
    assert c.files is None
    assert c.error.startswith(f"HTTP 500 from {scripted_openai.base_url}: server error: model overloaded")
    assert "gave up after 2 retries" in c.error
    assert len(scripted_openai.requests) == 3  # 1 + 2 retries


def test_retry_after_beyond_the_client_limit_is_not_waited_for(scripted_openai):
    scripted_openai.script(Rule(Status(429, "quota", retry_after=3600)))
    c = provider(scripted_openai).complete(PROBLEM, 1)
    assert "HTTP 429" in c.error and "rate limited" in c.error and "retry after 3600 s" in c.error
    assert len(scripted_openai.requests) == 1


def test_dropped_connection_is_retried(scripted_openai):
    scripted_openai.script(Rule([Drop(), ANSWER]))
    c = provider(scripted_openai, retries=1).complete(PROBLEM, 1)  # costs the SDK's 0.5 s backoff
    assert c.error is None and len(scripted_openai.requests) == 2


# -- errors that are not retried -------------------------------------------------------------------
def test_401_names_authentication_and_the_key_variable(scripted_openai):
    scripted_openai.script(Rule(Status(401, "Incorrect API key provided")))
    c = provider(scripted_openai, api_key_env="MY_LLM_KEY").complete(PROBLEM, 1)
    assert c.error == (f"HTTP 401 from {scripted_openai.base_url}: authentication failed: check the API key "
                       "in $MY_LLM_KEY: Incorrect API key provided")
    assert len(scripted_openai.requests) == 1
    assert scripted_openai.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"


def test_404_names_the_model(scripted_openai):
    scripted_openai.script(Rule(Status(404, "The model `gpt-9` does not exist")))
    c = provider(scripted_openai, model="gpt-9").complete(PROBLEM, 1)
    assert "HTTP 404" in c.error and "unknown model 'gpt-9'" in c.error and "does not exist" in c.error
    assert len(scripted_openai.requests) == 1


def test_400_passes_the_server_message(scripted_openai):
    scripted_openai.script(Rule(Status(400, "maximum context length is 4096 tokens")))
    c = provider(scripted_openai).complete(PROBLEM, 1)
    assert "HTTP 400" in c.error and "maximum context length" in c.error


def test_connection_refused_is_quick_and_clear():
    p = OpenAIProvider(ProviderOptions(model="m", base_url=f"http://127.0.0.1:{closed_port()}/v1", retries=1))
    t0 = time.monotonic()
    c = p.complete(PROBLEM, 1)
    assert time.monotonic() - t0 < 3
    assert c.error.startswith("cannot reach http://127.0.0.1:") and "Connection refused" in c.error
    assert "gave up after 1 retry" in c.error


def test_request_timeout(scripted_openai):
    scripted_openai.script(Rule(Reply(ANSWER, delay_s=1.0)))
    c = provider(scripted_openai, retries=0, request_timeout_s=0.2).complete(PROBLEM, 1)
    assert c.error == f"no answer from {scripted_openai.base_url} within 0.2 s (request timeout; retries disabled)"


# -- garbage and unusable answers ------------------------------------------------------------------
@pytest.mark.parametrize("resp, words", [
    (Raw(b"\x00\xffnot json at all"), ["HTTP 200", "not JSON", "content-type application/json"]),
    (Raw("<html><body>Bad Gateway</body></html>", content_type="text/html"), ["not JSON", "text/html", "Bad Gateway"]),
    (Raw(b'{"object": "chat.completion"}'), ["without a completion (no choices)"]),
    (Raw(b'{"choices": []}'), ["without a completion (no choices)"]),
    (Raw(b'{"error": {"message": "backend crashed"}}'), ["without a completion (backend crashed)"]),
    (Raw(b"[1, 2, 3]"), ["not a chat completion"]),
    (Raw(b'{"choices": ["x"]}'), ["without a completion"]),
])
def test_garbage_body(scripted_openai, resp, words):
    scripted_openai.script(Rule(resp))
    c = provider(scripted_openai).complete(PROBLEM, 1)
    assert c.files is None
    for w in words:
        assert w in c.error, c.error


@pytest.mark.parametrize("reply, error", [
    (Reply(""), "answer was empty (finish_reason=stop)"),
    (Reply(None), "answer was empty (finish_reason=stop)"),
    (Reply("I cannot help with that."), "no code block in the answer"),
    (Reply("```verilog\nmodule adder(); endmodule\n```"), "code defines module adder but not TopModule"),
    (Reply("```verilog\nmodule TopModule(output zero);\n  assign", finish_reason="length"),
     "answer truncated at max_tokens=4096 (finish_reason=length)"),
    (Reply(None, finish_reason="length", reasoning="long thoughts"),
     "answer truncated at max_tokens=4096 (spent on reasoning) (finish_reason=length)"),
    (Reply("", finish_reason="content_filter"), "answer withheld by the endpoint's content filter"),
])
def test_unusable_answers(scripted_openai, reply, error):
    scripted_openai.script(Rule(reply))
    c = provider(scripted_openai, max_tokens=4096).complete(PROBLEM, 1)
    assert c.files is None
    assert c.error.startswith(error), c.error
    assert c.raw == (reply.content or None)


def test_truncated_answer_keeps_its_usage(scripted_openai):
    cut = "```verilog\nmodule TopModule(output zero);\n  assign"
    scripted_openai.script(Rule(Reply(cut, finish_reason="length", prompt_tokens=7, completion_tokens=9)))
    c = provider(scripted_openai, prices={"m": (1.0, 1.0)}).complete(PROBLEM, 1)
    assert "finish_reason=length" in c.error and c.usage.completion_tokens == 9 and c.usage.cost_usd > 0


def test_complete_module_before_the_cut_is_scored(scripted_openai):
    # the official harnesses compile whatever came back: a whole module before max_tokens counts
    scripted_openai.script(Rule(Reply(ANSWER + "\nThis design works because", finish_reason="length")))
    c = provider(scripted_openai).complete(PROBLEM, 1)
    assert c.error is None and "module TopModule" in c.files["sample.sv"]


def test_missing_usage_counts_zero(scripted_openai):
    scripted_openai.script(Rule(Reply(ANSWER, no_usage=True)))
    c = provider(scripted_openai, prices={"m": (1.0, 1.0)}).complete(PROBLEM, 1)
    assert c.error is None and c.usage.prompt_tokens == 0 and c.usage.cost_usd == 0


# -- concurrency -----------------------------------------------------------------------------------
def test_parallel_requests_overlap(scripted_openai):
    delay = 0.4
    scripted_openai.script(Rule(Reply(ANSWER, delay_s=delay)))
    p = provider(scripted_openai, concurrency=8)
    t0 = time.monotonic()
    with ThreadPoolExecutor(p.concurrency) as pool:
        results = list(pool.map(lambda s: p.complete(PROBLEM, s), range(1, 9)))
    elapsed = time.monotonic() - t0
    p.close()
    assert all(c.error is None and c.files for c in results)
    assert len(scripted_openai.requests) == 8
    assert elapsed < 5 * delay, f"8 parallel requests took {elapsed:.2f} s (serial would be {8 * delay:.1f} s)"


# -- configuration errors raise ---------------------------------------------------------------------
def test_no_key_and_no_base_url_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
        OpenAIProvider(ProviderOptions(model="m"))


def test_no_key_with_a_base_url_uses_a_placeholder(scripted_openai, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    scripted_openai.script(Rule(ANSWER))
    assert provider(scripted_openai).complete(PROBLEM, 1).error is None
    assert scripted_openai.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"


def test_base_url_from_the_environment(scripted_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_openai.base_url)
    scripted_openai.script(Rule(ANSWER))
    assert OpenAIProvider(ProviderOptions(model="m")).complete(PROBLEM, 1).error is None


def test_no_model_is_a_config_error(scripted_openai):
    with pytest.raises(ConfigError, match="--model"):
        OpenAIProvider(ProviderOptions(base_url=scripted_openai.base_url))
