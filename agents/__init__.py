"""The agent loop (LangGraph): spec analyst, test author, RTL designer, verifier + judge,
PPA optimiser, knowledge retriever (graph.py, state.py, nodes/, prompts/, llm.py, run.py),
and the offline template designer (template_designer.py)."""
