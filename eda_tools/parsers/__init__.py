"""Output parsers for EDA tools (pure functions over text; unit-tested on checked-in logs)."""
