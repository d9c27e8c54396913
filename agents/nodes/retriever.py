"""Knowledge retriever: RAG context for each role. The store is a no-op until the
knowledge-store issue lands; the node and the state slot exist so roles already read it."""
from __future__ import annotations

from typing import Any, Protocol

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import event

ROLES = ("analyst", "test_author", "designer", "judge", "ppa")


class KnowledgeStore(Protocol):
    def search(self, query: str, k: int = 4) -> list[str]: ...


class NullStore:
    """Returns nothing: the default until a real store is configured."""

    def search(self, query: str, k: int = 4) -> list[str]:
        return []


@guarded("retrieve")
def retrieve(state: dict, config: Any) -> dict:
    store: KnowledgeStore = config["configurable"].get("store") or NullStore()
    spec = state["spec"]
    context = {role: "\n\n".join(store.search(f"{role}: {spec[:2000]}")) for role in ROLES}
    return {"context": {r: c for r, c in context.items() if c}, "events": event("retrieve", hits=sum(map(bool, context.values())))}
