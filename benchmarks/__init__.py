"""Benchmark harnesses and performance scripts (benchmarks/perf/)."""
