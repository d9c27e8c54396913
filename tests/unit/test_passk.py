"""pass@k: the unbiased estimator against its closed form, and its edge cases."""
from __future__ import annotations

from math import comb

import pytest

from rtlsmith.benchmarks.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize("n,c,k", [(1, 0, 1), (1, 1, 1), (5, 1, 1), (10, 3, 5), (20, 0, 10), (20, 19, 10),
                                   (200, 13, 100), (10, 10, 10)])
def test_matches_closed_form(n, c, k):
    expected = 1.0 - comb(n - c, k) / comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_known_values():
    assert pass_at_k(5, 1, 1) == pytest.approx(0.2)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)
    assert pass_at_k(4, 2, 3) == 1.0  # fewer failures than k: some sample must pass


@pytest.mark.parametrize("n,c,k", [(5, 6, 1), (5, -1, 1), (5, 1, 0), (5, 1, 6)])
def test_rejects_impossible_inputs(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_mean_over_problems_and_k_beyond_n_left_out():
    counts = {"a": (5, 5), "b": (5, 0), "c": (5, 1)}
    got = mean_pass_at_k(counts, [1, 5, 10])
    assert got["1"] == pytest.approx((1 + 0 + 0.2) / 3)
    assert got["5"] == pytest.approx((1 + 0 + 1) / 3)
    assert "10" not in got
    assert mean_pass_at_k({}, [1]) == {}
