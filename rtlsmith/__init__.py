"""rtlsmith: spec to verified, synthesised RTL."""
__version__ = "0.1.0"
