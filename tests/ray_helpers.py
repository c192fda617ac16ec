"""Helpers for the tests that start real multi-node Ray clusters on this machine.

Every node of `ray.cluster_utils.Cluster` is its own raylet with its own worker
processes; they all bind to 127.0.0.1 (conftest makes Ray use loopback).
"""

import contextlib
import json

import ray
from ray.cluster_utils import Cluster

import esrl

from .conftest import SMALL_NOISE

GENERATIONS = 6


def config(**kw):
    base = dict(
        seed=3,
        generations=GENERATIONS,
        target_return=float("inf"),
        noise_size=SMALL_NOISE,
        pairs_per_task=5,  # 7 tasks per generation, enough to spread over nodes
        obs_norm=True,
        action_noise=0.01,
        target_episodes=10,
    )
    return esrl.ESConfig(**{**base, **kw})


def metrics(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def quiet(_line: str) -> None:
    pass


NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1"}


@contextlib.contextmanager
def cluster(worker_nodes: int):
    """A head node and worker nodes, one CPU each, with this process as the driver."""
    c = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    workers = [c.add_node(**NODE) for _ in range(worker_nodes)]
    ray.init(address=c.address, logging_level="ERROR")
    try:
        yield c, workers
    finally:
        ray.shutdown()
        c.shutdown()
