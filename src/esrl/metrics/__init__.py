"""Metrics of a run: a JSONL file for scripts, TensorBoard events for people, PNG plots."""

from esrl.metrics.log import MetricsLog, read_metrics

__all__ = ["MetricsLog", "read_metrics"]
