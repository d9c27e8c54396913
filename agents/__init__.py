"""LangGraph agent loop (spec analyst, test author, RTL designer, verifier, PPA optimiser).

Lands with the agent-loop issue; this package exists so the import layout is fixed now."""
