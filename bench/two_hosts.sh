#!/usr/bin/env bash
# Two hosts on one machine: Linux network namespaces joined by a veth pair, a Ray
# head in one and a Ray worker node in the other; ES trains through them.
#
#   sudo bench/two_hosts.sh            (needs root for `ip netns`; run from the repo root)
#
# Prints, from one run:
#   1. scaling at equal total CPUs: one node with 2 CPUs vs two nodes with 1 CPU each;
#   2. bytes per generation per worker, counted by esrl and measured on the veth,
#      for the default MLP and for one about 100x larger (--hidden 104,104).
# All traffic stays on the veth between the two namespaces (10.77.0.1 <-> 10.77.0.2);
# the namespaces, Ray processes and temp dirs are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$PWD/.venv/bin/python}
RAY=${RAY:-$PWD/.venv/bin/ray}
H1=esrl-h1 H2=esrl-h2 IP1=10.77.0.1 IP2=10.77.0.2 PORT=6379
WORK=$(mktemp -d /tmp/esrl-two-hosts.XXXX)
GENERATIONS=${GENERATIONS:-20}

cleanup() {
  for ns in $H1 $H2; do
    if ip netns list | grep -qw $ns; then
      ip netns exec $ns env RAY_TMPDIR="$WORK/$ns" "$RAY" stop --force >/dev/null 2>&1 || true
      ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null || true
      ip netns del $ns
    fi
  done
  rm -rf "$WORK" /dev/shm/esrl-h1 /dev/shm/esrl-h2
}
trap cleanup EXIT
cleanup  # leftovers of an interrupted run
mkdir -p "$WORK"

ip netns add $H1
ip netns add $H2
ip link add esrl-v1 type veth peer name esrl-v2
ip link set esrl-v1 netns $H1
ip link set esrl-v2 netns $H2
ip -n $H1 addr add $IP1/24 dev esrl-v1
ip -n $H2 addr add $IP2/24 dev esrl-v2
for pair in "$H1 esrl-v1" "$H2 esrl-v2"; do
  set -- $pair
  ip -n "$1" link set lo up
  ip -n "$1" link set "$2" up
  # Ray finds its own address by asking the kernel for a route (no packet is sent);
  # the only route out of each namespace is the veth.
  ip -n "$1" route add default dev "$2"
done
echo "hosts: $H1 ($IP1) <-> $H2 ($IP2) over veth"
# Ray's token authentication, as on real machines: one shared secret file on every host.
"$PY" -c "import secrets; print(secrets.token_hex(32))" > "$WORK/auth_token"
export RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$WORK/auth_token"

on_host() {  # on_host NS CMD...: run as that host, with its own noise dir and Ray temp dir
  local ns=$1; shift
  mkdir -p "$WORK/$ns" "/dev/shm/$ns"
  ip netns exec "$ns" env ESRL_NOISE_DIR="/dev/shm/$ns" RAY_TMPDIR="$WORK/$ns" \
    RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$WORK/auth_token" "$@"
}
start_head() {
  on_host $H1 "$RAY" start --head --node-ip-address $IP1 --port $PORT --num-cpus "$1" \
    --temp-dir "$WORK/$H1" --include-dashboard=false --disable-usage-stats >/dev/null
}
start_worker() {
  on_host $H2 "$RAY" start --address $IP1:$PORT --node-ip-address $IP2 --num-cpus "$1" \
    --temp-dir "$WORK/$H2" --disable-usage-stats >/dev/null
}
stop_all() {
  on_host $H2 "$RAY" stop --force >/dev/null 2>&1 || true
  on_host $H1 "$RAY" stop --force >/dev/null 2>&1 || true
}
train() {  # train LABEL [extra args]
  local label=$1; shift
  on_host $H1 "$PY" bench/ray_cluster_run.py --address $IP1:$PORT --iface esrl-v1 \
    --label "$label" --generations "$GENERATIONS" "$@" | tee "$WORK/$label.log"
}

echo "== 1 node x 2 CPUs (head only; the veth carries nothing but idle chatter)"
start_head 2
train one-node
stop_all

echo "== 2 nodes x 1 CPU (head + worker across the veth)"
start_head 1
start_worker 1
sleep 2
train two-nodes
train two-nodes-100x --hidden 104,104
stop_all

echo "== summary"
"$PY" - "$WORK" <<'PYEOF'
import json, sys
from pathlib import Path
runs = {}
for log in Path(sys.argv[1]).glob("*.log"):
    for line in log.read_text().splitlines():
        if line.startswith("SUMMARY "):
            s = json.loads(line[8:])
            runs[s["label"]] = s
one, two, big = runs["one-node"], runs["two-nodes"], runs["two-nodes-100x"]
rate = "median_generation_steps_per_second"
print(f"steps/s, 1 node x 2 CPUs : {one[rate]:,.0f}")
print(f"steps/s, 2 nodes x 1 CPU : {two[rate]:,.0f}  (nodes used: {two['max_nodes']})")
print(f"scaling efficiency (2 nodes / 1 node at equal CPUs): {two[rate] / one[rate]:.2f}")
for s in (two, big):
    print(
        f"{s['params']:>6} params: {s['steady_bytes_per_worker']:,.0f} B/worker/generation counted,"
        f" {s['steady_wire_bytes_per_generation']:,.0f} B/generation on the veth,"
        f" first-generation resync {s['first_generation_sync_bytes']:,} B"
    )
print(f"parameter ratio {big['params'] / two['params']:.0f}x, steady counted-bytes ratio "
      f"{big['steady_bytes_per_worker'] / two['steady_bytes_per_worker']:.2f}x, veth ratio "
      f"{big['steady_wire_bytes_per_generation'] / two['steady_wire_bytes_per_generation']:.2f}x")
PYEOF
