"""Fitness shaping: turns raw returns into rank-based weights.

Ranks make the update invariant to the scale of rewards and robust to outliers
(Salimans et al. 2017, section 2.1).
"""

import numpy as np


def ranks_with_ties(values: np.ndarray) -> np.ndarray:
    """Zero-based ranks of a flat array; tied values share the mean of their ranks.

    The OpenAI starter breaks ties by position, which turns equal returns (common on
    CartPole, where many members reach the 500-step cap) into arbitrary weights.
    Averaging tied ranks gives equal returns equal weights, so a tied antithetic pair
    contributes nothing.
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(flat, kind="stable")
    sorted_values = flat[order]
    # Start of each run of equal values, and the mean rank within the run.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], flat.size]
    mean_rank = (starts + ends - 1) / 2.0
    run_of = np.repeat(np.arange(starts.size), ends - starts)
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[order] = mean_rank[run_of]
    return ranks


def centered_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks over all entries scaled to [-0.5, 0.5], in the input's shape (float32)."""
    values = np.asarray(values)
    if values.size < 2:
        return np.zeros(values.shape, dtype=np.float32)
    ranks = ranks_with_ties(values) / (values.size - 1) - 0.5
    return ranks.reshape(values.shape).astype(np.float32)
