"""pass@k with the unbiased estimator (Chen et al. 2021, "Evaluating Large Language Models
Trained on Code"): for a problem with n samples of which c pass,
pass@k = 1 - C(n-c, k) / C(n, k), averaged over problems. Computed as a running product,
which is exact enough and never forms huge binomials.
"""
from __future__ import annotations


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement from n passes."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n} c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n} k={k}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(counts: dict[str, tuple[int, int]], ks: list[int]) -> dict[str, float]:
    """{str(k): mean pass@k} over problems given {problem: (n, c)}; a k larger than some
    problem's n is left out (reporting it would mix estimators)."""
    out: dict[str, float] = {}
    if not counts:
        return out
    for k in ks:
        if all(n >= k for n, _ in counts.values()):
            out[str(k)] = sum(pass_at_k(n, c, k) for n, c in counts.values()) / len(counts)
    return out
