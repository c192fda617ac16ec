"""One ES training run on an existing Ray cluster, with per-generation traffic figures.

    python bench/ray_cluster_run.py --address HOST:PORT [--iface DEV] [--hidden 16] ...

Run by bench/two_hosts.sh inside the head's network namespace. Prints a line per
generation: env steps/s, the payload bytes per worker that esrl counted
(`bytes_per_worker`, resyncs included) and, with --iface, the bytes that really
crossed that network interface (Ray's own control traffic included), then one
JSON summary line that starts with `SUMMARY `.
"""

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import esrl
from esrl.metrics import read_metrics


def interface_bytes(iface: str | None) -> int:
    if not iface:
        return 0
    stats = Path("/sys/class/net") / iface / "statistics"
    return int((stats / "rx_bytes").read_text()) + int((stats / "tx_bytes").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--iface", help="network interface whose byte counters to read")
    parser.add_argument("--label", default="run")
    parser.add_argument("--hidden", default="16")
    parser.add_argument("--population", type=int, default=1024)
    parser.add_argument("--generations", type=int, default=20)
    args = parser.parse_args()

    config = esrl.ESConfig(
        env="CartPole-v1",
        backend="ray",
        ray_address=args.address,
        hidden=tuple(int(h) for h in args.hidden.split(",")),
        population=args.population,
        generations=args.generations,
        target_return=math.inf,
        target_episodes=10,
        seed=0,
    )
    wire = []
    last = [interface_bytes(args.iface)]

    def on_line(line: str) -> None:
        if line.startswith("gen "):
            now = interface_bytes(args.iface)
            wire.append(now - last[0])
            last[0] = now

    out = Path(tempfile.mkdtemp()) / args.label
    started = time.perf_counter()
    result = esrl.train_es(config, out, log=on_line)
    wall = time.perf_counter() - started
    records = read_metrics(out / "metrics.jsonl")
    params = esrl.load_params(result.run_dir)
    print(f"[{args.label}] {len(params)} params, population {args.population}")
    print(f"{'gen':>4} {'steps/s':>10} {'workers':>7} {'nodes':>5} {'B/worker':>9} "
          f"{'sync B':>8} {'wire B':>9}")  # fmt: skip
    for r, w in zip(records, wire, strict=False):
        print(
            f"{r['generation']:4d} {r['steps_per_second']:10.0f} {r['workers']:7d} "
            f"{r['nodes']:5d} {r['bytes_per_worker']:9.0f} {r['sync_bytes']:8d} {w:9d}"
        )
    steady = [r for r in records[2:] if r["sync_bytes"] == 0]
    summary = {
        "label": args.label,
        "params": len(params),
        "generations": len(records),
        "train_seconds": result.seconds,
        "wall_seconds": wall,
        "steps_per_second": result.env_steps / result.seconds,
        "median_generation_steps_per_second": statistics.median(
            r["steps_per_second"] for r in records[2:]
        ),
        "steady_bytes_per_worker": statistics.median(r["bytes_per_worker"] for r in steady),
        "first_generation_sync_bytes": records[0]["sync_bytes"],
        "steady_wire_bytes_per_generation": statistics.median(wire[2:]) if args.iface else None,
        "max_nodes": max(r["nodes"] for r in records),
        "max_workers": max(r["workers"] for r in records),
    }
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
