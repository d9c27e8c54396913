"""Pull the Verilog a model meant out of its chat answer.

``extract_verilog(text, top, interface)`` returns ``(code, None)`` or ``(None, error)``; the
error says what was wrong in words a report reader (or a re-asking agent) can act on.

How an answer is read, in order:

1. Line ends become LF. Reasoning is removed: ``<think>...</think>`` (also ``<thinking>``,
   ``<reasoning>``); an answer that starts inside reasoning (a closing ``</think>`` with no
   opening tag, as chat templates that open the tag in the prompt produce) keeps only what
   follows the last closing tag. An opening tag that is never closed is an error: the answer
   is unfinished reasoning.
2. Code blocks are looked for in three sources, most explicit first:

   - VerilogEval's ``[BEGIN] ... [DONE]`` regions (a missing ``[DONE]`` runs to the next
     ``[BEGIN]`` or the end); a fenced block inside a region counts instead of the region;
   - fenced blocks: ```` ```verilog ````, ```` ```systemverilog ````, ```` ```sv ````,
     ```` ```v ```` or untagged (``~~~`` too); a block with another tag (```` ```text ````)
     counts only if it declares a module; a fence never closed runs to the end of the answer;
   - bare code outside any fence: from the first line that starts Verilog (``module``,
     ```timescale``, ```default_nettype``, ```include``, ``package``...) to the last
     ``endmodule``.

   The first source with a block that declares ``module <top>`` is used.
3. Within that source the LAST block declaring ``module <top>`` is the design (a model that
   corrects itself puts the fix last). Other blocks are added when they declare a module,
   package or interface that the code chosen so far names, repeated until nothing changes,
   unless they would define a name twice; the result keeps the answer's order. So submodules
   written in their own blocks come along, and testbenches, usage examples and earlier drafts
   are dropped. A block is never edited inside: a testbench in the top's own block stays.
4. Code whose module declarations outnumber its ``endmodule`` lines is refused as cut off.
5. No block declares ``<top>``:

   - ``interface`` (the module header a code-complete benchmark gives) is known and a block
     is a module body (code before any module declaration of its own): the result is the
     interface, then the body (the last such block, or the whole answer when it has no
     blocks; helper modules after the body's ``endmodule`` stay), then ``endmodule`` when the
     body has none;
   - blocks declare other modules: error naming them;
   - otherwise an error saying what was there instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

#: fence tags taken as Verilog without looking inside (lower-cased; "" is an untagged fence)
VERILOG_TAGS = frozenset({"", "verilog", "systemverilog", "sv", "v", "vh", "svh", "vlog", "system-verilog"})

_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1\s*>", re.S | re.I)
_THINK_OPEN = re.compile(r"<(?:think|thinking|reasoning)>", re.I)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)\s*>", re.I)
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_MODULE_DECL = re.compile(
    r"^[ \t]*(?:\(\*[^\n]*?\*\)[ \t]*)?(?:extern[ \t]+)?(?:macromodule|module)[ \t]+"
    r"(?:(?:automatic|static)[ \t]+)?([A-Za-z_][\w$]*)", re.M)
_OTHER_DECL = re.compile(r"^[ \t]*(?:package|interface)[ \t]+([A-Za-z_][\w$]*)", re.M)
_ENDMODULE = re.compile(r"\bendmodule\b")
_CODE_START = re.compile(
    r"^[ \t]*(?:`(?:timescale|default_nettype|define|include|ifdef|ifndef)\b"
    r"|(?:\(\*[^\n]*?\*\)[ \t]*)?(?:macromodule|module)[ \t]+[A-Za-z_]"
    r"|package[ \t]+[A-Za-z_]|import[ \t]+[A-Za-z_][\w$]*::)", re.M)
_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)")
_IDENT = re.compile(r"[A-Za-z_][\w$]*")
_BEGIN, _DONE = "[BEGIN]", "[DONE]"
#: a module body has at least one of these (keeps a prose-only answer from becoming "code")
_CODE_LIKE = re.compile(r";|\bendmodule\b|\bassign\b|\balways(?:_ff|_comb|_latch)?\b")


@dataclass
class _Block:
    text: str
    tag: str = ""
    closed: bool = True
    modules: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    code: str = ""  # comment-stripped text, for scanning only

    def __post_init__(self) -> None:
        self.code = _COMMENTS.sub(" ", self.text)
        self.modules = _MODULE_DECL.findall(self.code)
        self.others = _OTHER_DECL.findall(self.code)

    @property
    def names(self) -> set[str]:
        return set(self.modules) | set(self.others)

    @property
    def verilog(self) -> bool:
        return self.tag in VERILOG_TAGS or bool(self.modules)


def extract_verilog(text: str, top: str, interface: str | None = None) -> tuple[str | None, str | None]:
    """The Verilog in a model's answer that defines module ``top``: ``(code, None)`` or
    ``(None, error)``. ``interface`` is the module header of a code-complete problem; it is
    prepended when the answer is only a module body. See the module docstring for the rules."""
    if text is None or not text.strip():
        return None, "answer was empty"
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text, err = _strip_reasoning(text)
    if err:
        return None, err

    regions = _regions(text)
    fenced, outside = _fenced(text)
    bare = _bare(outside)
    sources: list[list[_Block]] = [s for s in (regions, fenced, [bare] if bare else []) if s]

    for blocks in sources:
        chosen = _select(blocks, top)
        if chosen is not None:
            return _complete_or_error(chosen, top)

    if interface and interface.strip():
        body = _body(regions, fenced, text)
        if body is not None:
            return _complete_or_error([_Block(_with_interface(interface, body))], top)

    declared = list(dict.fromkeys(m for blocks in sources for b in blocks for m in b.modules))
    if declared:
        s = "s" if len(declared) > 1 else ""
        return None, f"code defines module{s} {', '.join(declared)} but not {top}"

    if not regions and not fenced:
        return None, "no code block in the answer"
    other_tags = sorted({b.tag for b in fenced if not b.verilog})
    if not regions and other_tags and not any(b.verilog for b in fenced):
        return None, f"no Verilog code block in the answer (blocks tagged {', '.join(other_tags)})"
    return None, f"the answer's code declares no module (expected module {top})"


def _strip_reasoning(text: str) -> tuple[str, str | None]:
    had_reasoning = bool(_THINK_OPEN.search(text) or _THINK_CLOSE.search(text))
    text = _THINK_BLOCK.sub("", text)
    if _THINK_OPEN.search(text):
        return text, "answer is unfinished reasoning: <think> without </think> (truncated?)"
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:  # the template opened the tag: everything before the last close is reasoning
        text = text[closes[-1].end():]
    if had_reasoning and not text.strip():
        return text, "answer was empty after its <think> reasoning"
    return text, None


def _regions(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    pos = text.find(_BEGIN)
    while pos >= 0:
        start = pos + len(_BEGIN)
        ends = [i for i in (text.find(_DONE, start), text.find(_BEGIN, start)) if i >= 0]
        end = min(ends) if ends else len(text)
        region = text[start:end]
        inner, outside = _fenced(region)
        if inner:
            blocks.extend(inner)
        elif region.strip():
            blocks.append(_bare(outside) or _Block(region.strip("\n")))
        pos = text.find(_BEGIN, end)
    return blocks


def _fenced(text: str) -> tuple[list[_Block], str]:
    """Fenced blocks, and the text outside them (where bare code may still be)."""
    blocks: list[_Block] = []
    outside: list[str] = []
    fence: str | None = None
    tag = ""
    buf: list[str] = []
    for line in text.split("\n"):
        if fence is None:
            m = _FENCE_OPEN.match(line)
            if m:
                fence, tag, buf = m.group(1), m.group(2).lower(), []
            else:
                outside.append(line)
            continue
        body = line.rstrip()
        char = fence[0]
        if body.strip() and set(body.strip()) == {char} and len(body.strip()) >= len(fence):
            blocks.append(_Block("\n".join(buf), tag))
            fence = None
        elif body.endswith(char * 3):  # "endmodule```": code and the closing fence on one line
            buf.append(body.rstrip(char).rstrip())
            blocks.append(_Block("\n".join(buf), tag))
            fence = None
        else:
            buf.append(line)
    if fence is not None:
        blocks.append(_Block("\n".join(buf), tag, closed=False))
    return blocks, "\n".join(outside)


def _bare(text: str) -> _Block | None:
    """Unfenced code: first line that starts Verilog to the end of the last endmodule line."""
    m = _CODE_START.search(text)
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    ends = list(_ENDMODULE.finditer(text, m.start()))
    end = text.find("\n", ends[-1].end()) if ends else -1
    return _Block(text[start:] if end < 0 else text[start:end])


def _select(blocks: list[_Block], top: str) -> list[_Block] | None:
    with_top = [i for i, b in enumerate(blocks) if top in b.modules]
    if not with_top:
        return None
    chosen = {with_top[-1]}
    defined = set(blocks[with_top[-1]].names)
    refs = set(_IDENT.findall(blocks[with_top[-1]].code))
    grew = True
    while grew:
        grew = False
        for i, b in enumerate(blocks):
            if i in chosen or top in b.modules or not b.verilog:
                continue
            if b.names & refs and not b.names & defined:
                chosen.add(i)
                defined |= b.names
                refs |= set(_IDENT.findall(b.code))
                grew = True
    return [blocks[i] for i in sorted(chosen)]


def _complete_or_error(blocks: list[_Block], top: str) -> tuple[str | None, str | None]:
    code = "\n\n".join(b.text.strip("\n") for b in blocks) + "\n"
    missing = _unterminated(_COMMENTS.sub(" ", code))
    if missing:
        cut = " (its code block is not closed)" if any(not b.closed for b in blocks) else ""
        return None, f"module {missing} has no endmodule: the answer is cut off{cut}"
    return code, None


def _unterminated(code: str) -> str | None:
    """The first module whose declaration is not followed by an endmodule before the next one."""
    events = sorted([(m.start(), m.group(1)) for m in _MODULE_DECL.finditer(code)]
                    + [(m.start(), None) for m in _ENDMODULE.finditer(code)])
    open_name: str | None = None
    for _pos, name in events:
        if name is None:
            open_name = None
        elif open_name is not None:
            return open_name
        else:
            open_name = name
    return open_name


def _is_body(b: _Block) -> bool:
    """Code that continues a module header: code-like text before any module declaration
    of its own (helper modules may follow the body's endmodule)."""
    first = _MODULE_DECL.search(b.code)
    return bool(_CODE_LIKE.search(b.code[: first.start()] if first else b.code))


def _body(regions: list[_Block], fenced: list[_Block], text: str) -> str | None:
    """A code-complete answer's module body: the last block that is one, or the whole answer."""
    for blocks in (regions, fenced):
        for b in reversed(blocks):
            if b.verilog and _is_body(b):
                return b.text
    if not regions and not fenced and _is_body(_Block(text)):
        ends = list(_ENDMODULE.finditer(text))
        cut = text.find("\n", ends[-1].end()) if ends else -1
        return text if cut < 0 else text[:cut]  # drop prose after the last endmodule
    return None


def _with_interface(interface: str, body: str) -> str:
    body = body.strip("\n")
    if not _ENDMODULE.search(_COMMENTS.sub(" ", body)):
        body += "\nendmodule"
    return interface.rstrip() + "\n" + body
