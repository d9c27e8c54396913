"""Benchmark tests; the data fixtures (bench_root, verilog_eval_dir) are in tests/conftest.py."""
