"""ES on a Ray cluster: one worker actor per CPU, seed-only traffic, worker loss survived.

Per generation the driver
  1. puts the generation's `Update` (noise indices, returns, observation sums:
     O(population) numbers) in Ray's object store once; every node fetches it
     once, and the workers on that node read the node's copy;
  2. hands tasks to idle workers one at a time (a task is noise indices and signs);
  3. a worker replays the updates it has not seen on its `Replica`, compares the
     digest with the driver's, and plays the task's episodes. A worker whose copy
     does not match (new, restarted, or rounding differently) answers NEEDS_SYNC
     and gets the full state once.

Results are placed by task id, never by arrival, so which worker ran what (or
ran it twice) cannot change the parameters: they equal the serial backend's.

Faults: a task whose worker or node dies is queued again and run by another
worker. Each generation the pool is topped up to one worker per CPU of the
cluster, so a node that joins starts receiving tasks at the next generation.
"""

import contextlib
import logging
import os
import pickle
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from esrl.errors import UserError
from esrl.es.config import ESConfig
from esrl.es.evaluation import Evaluator, Task, TaskResult
from esrl.es.noise import NoiseTable
from esrl.es.replica import Replica, Snapshot, build_strategy

NEEDS_SYNC = "needs-sync"
HISTORY = 8  # generations of updates kept for workers that missed some
START_FAILURES_ALLOWED = 3  # worker start failures per pool slot before giving up
TASKS_PER_WORKER = 4
WORKER_START_SECONDS = 120.0  # a worker imports torch, ALE and builds its envs: slow on a busy node


class EvaluationWorker:
    """Lives on a Ray node: attaches to the node's noise table and follows the driver."""

    def __init__(self, config: ESConfig):
        import ray

        self.config = config
        noise = NoiseTable.shared(config.seed, config.noise_size)  # one file per node
        self.evaluator = Evaluator(config, noise, threads=1)
        num_params = self.evaluator.policy.num_params
        self.replica = Replica(build_strategy(config, noise, num_params))
        self.node_id = ray.get_runtime_context().get_node_id()

    def ready(self) -> str:
        return self.node_id

    def sync(self, snapshot: Snapshot) -> None:
        self.replica.sync(snapshot)

    def evaluate(self, generation: int, digest: bytes, task: Task, *updates):
        if not self.replica.catch_up(generation, digest, list(updates)):
            return NEEDS_SYNC
        snapshot = self.replica.snapshot
        params, obs_norm = snapshot.state.params, snapshot.normalizer(self.config.obs_norm)
        return self.node_id, self.evaluator.evaluate(params, obs_norm, task)


@dataclass(eq=False)
class _Handle:
    actor: object
    ready_ref: object | None  # until the actor has started
    node_id: str = ""
    generation: int | None = None  # the snapshot it holds, as far as the driver knows
    busy: bool = False


@dataclass
class _Counters:
    bytes_to_workers: int = 0
    bytes_from_workers: int = 0
    sync_bytes: int = 0
    resyncs: int = 0
    redone_tasks: int = 0
    lost_workers: int = 0
    nodes: set = field(default_factory=set)
    busy_workers: set = field(default_factory=set)


def _size(obj) -> int:
    return len(pickle.dumps(obj, protocol=5))


def connect(config: ESConfig) -> bool:
    """Join (or start) Ray; True if we started it. A user mistake is one UserError line."""
    import ray

    if ray.is_initialized():
        return False
    options = {"logging_level": logging.WARNING, "log_to_driver": False}
    if not config.ray_address:
        # "local": without it Ray joins a cluster named by RAY_ADDRESS or by the last
        # `ray start` on this machine, and refuses num_cpus there with a traceback
        ray.init(
            address="local", num_cpus=config.workers or None, include_dashboard=False, **options
        )
        return True
    address = _resolve_address(config.ray_address)
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), config.ray_timeout):
            pass
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot reach a Ray cluster at {address} ({getattr(exc, 'strerror', None) or exc}); "
            f"start one with `ray start --head`, or check --ray-address and that the port is open"
        ) from None
    # Something answers on that port, but ray.init blocks for minutes, logging a
    # warning every few seconds, if it is not Ray's GCS: Ray's native log lines are
    # held back while it connects, and a watchdog gives one error line after
    # --ray-timeout.
    with _stderr_held_back() as real_stderr:
        watchdog = threading.Timer(config.ray_timeout, _give_up, (real_stderr, address, config))
        watchdog.daemon = True
        watchdog.start()
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(
                f"cannot join the Ray cluster at {address}: {exc} (a cluster started with "
                "RAY_AUTH_MODE=token needs the same setting and token here)"
            ) from None
        finally:
            watchdog.cancel()
    return False


def _resolve_address(address: str) -> str:
    if address != "auto":
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise UserError(f"--ray-address must be HOST:PORT or auto, got {address!r}")
        return address
    from ray._private.services import canonicalize_bootstrap_address

    try:
        resolved = canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError) as exc:
        raise UserError(f"--ray-address auto: {exc}") from None
    if not resolved:
        raise UserError("--ray-address auto found no running Ray cluster on this machine")
    return resolved


@contextlib.contextmanager
def _stderr_held_back():
    """Send file descriptor 2 (where Ray's native code logs) to a temp file meanwhile."""
    sys.stderr.flush()
    real_stderr = os.dup(2)
    try:
        with tempfile.TemporaryFile() as held_back:
            os.dup2(held_back.fileno(), 2)
            try:
                yield real_stderr
            finally:
                sys.stderr.flush()
                os.dup2(real_stderr, 2)
    finally:
        os.close(real_stderr)


def _give_up(stderr_fd: int, address: str, config: ESConfig) -> None:
    message = (
        f"esrl: error: the Ray cluster at {address} did not answer within "
        f"{config.ray_timeout:g} s (is it a Ray head node's GCS port? see --ray-timeout)\n"
    )
    os.write(stderr_fd, message.encode())
    os._exit(2)  # ray.init holds the main thread in native code; nothing was written yet


class RayBackend:
    def __init__(self, config: ESConfig):
        import ray

        self.config = config
        self._owns_ray = connect(config)
        self._ray = ray
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(EvaluationWorker)
        self._handles: list[_Handle] = []
        self._start_failures = 0
        self._generation: int | None = None
        self._digest = b""
        self._updates: dict[int, tuple[object, int]] = {}  # generation -> (ref, bytes)
        self._sync: tuple[object, int] | None = None
        self._snapshot: Snapshot | None = None  # the one workers are brought to
        self._counters = _Counters()
        self._grow_pool()

    @property
    def split(self) -> int:
        """Tasks go to whichever worker is idle, so several per worker balance uneven
        episodes, give a node that joins work, and cost little to redo after a fault."""
        self._grow_pool()
        return TASKS_PER_WORKER * max(1, len(self._handles))

    # -- pool ---------------------------------------------------------------------
    def _target_workers(self) -> int:
        cpus = int(self._ray.cluster_resources().get("CPU", 0))
        return min(self.config.workers, cpus) if self.config.workers else cpus

    def _grow_pool(self) -> None:
        """One worker per CPU; those beyond free CPUs wait in Ray's queue for a node to join."""
        for _ in range(self._target_workers() - len(self._handles)):
            actor = self._actor_class.remote(self.config)
            self._handles.append(_Handle(actor, actor.ready.remote()))

    def _drop(self, handle: _Handle) -> None:
        self._handles.remove(handle)
        self._counters.lost_workers += 1
        with contextlib.suppress(Exception):
            self._ray.kill(handle.actor)

    # -- state shipping -----------------------------------------------------------
    def _observe(self, snapshot: Snapshot) -> None:
        """Record how to bring a worker to `snapshot`: replayable updates, or a resync."""
        digest = snapshot.digest()
        if digest == self._digest:
            return
        update = snapshot.update
        if update is not None and update.generation == self._generation:
            self._updates[update.generation] = (self._ray.put(update), _size(update))
            for old in [g for g in self._updates if g < update.generation - HISTORY]:
                del self._updates[old]
        else:
            self._updates.clear()
        self._generation, self._digest, self._sync = snapshot.generation, digest, None
        self._snapshot = snapshot

    def _updates_for(self, have: int | None) -> list[tuple[object, int]] | None:
        if have is None or have > self._generation:
            return None
        needed = range(have, self._generation)
        if any(g not in self._updates for g in needed):
            return None
        return [self._updates[g] for g in needed]

    def _submit(self, handle: _Handle, task: Task):
        counters = self._counters
        updates = self._updates_for(handle.generation)
        if updates is None:
            if self._sync is None:
                state = Snapshot(self._snapshot.state, self._snapshot.obs_stats)
                self._sync = (self._ray.put(state), _size(state))
            ref, size = self._sync
            handle.actor.sync.remote(ref)  # methods of one actor run in submission order
            counters.sync_bytes += size
            counters.resyncs += 1
            updates = []
        sent = _size((self._generation, self._digest, task)) + sum(s for _, s in updates)
        counters.bytes_to_workers += sent
        counters.busy_workers.add(id(handle))
        handle.generation, handle.busy = self._generation, True
        refs = [ref for ref, _ in updates]
        return handle.actor.evaluate.remote(self._generation, self._digest, task, *refs)

    # -- one batch of tasks -------------------------------------------------------
    def evaluate(self, snapshot: Snapshot, tasks: list[Task]) -> list[TaskResult]:
        ray, exceptions = self._ray, self._ray.exceptions
        self._observe(snapshot)
        self._grow_pool()
        queue = deque(range(len(tasks)))
        results: list[TaskResult | None] = [None] * len(tasks)
        in_flight: dict[object, tuple[_Handle, int]] = {}
        waiting_since = time.monotonic()
        while queue or in_flight:
            for handle in self._handles:
                if queue and handle.ready_ref is None and not handle.busy:
                    index = queue.popleft()
                    in_flight[self._submit(handle, tasks[index])] = (handle, index)
            starting = {h.ready_ref: h for h in self._handles if h.ready_ref is not None}
            if not in_flight and not starting:
                self._grow_pool()
                if time.monotonic() - waiting_since > WORKER_START_SECONDS:
                    raise RuntimeError("no Ray worker is left and no CPU is free to start one")
                time.sleep(0.5)
                continue
            ready, _ = ray.wait([*in_flight, *starting], num_returns=1, timeout=1.0)
            if not ready:
                if not in_flight and time.monotonic() - waiting_since > WORKER_START_SECONDS:
                    raise RuntimeError(
                        f"no Ray worker started within {WORKER_START_SECONDS:g} s "
                        "(are the cluster's CPUs taken by another job?)"
                    )
                continue
            ref = ready[0]
            if ref in starting:
                self._started(starting[ref], ref)
                waiting_since = time.monotonic()
                continue
            handle, index = in_flight.pop(ref)
            handle.busy = False
            try:
                reply = ray.get(ref)
            except (exceptions.RayActorError, exceptions.WorkerCrashedError):
                self._drop(handle)  # the worker or its node died: run the task elsewhere
                queue.appendleft(index)
                self._counters.redone_tasks += 1
                continue
            except exceptions.RayTaskError as exc:
                raise exc.as_instanceof_cause() from None
            if reply == NEEDS_SYNC:
                handle.generation = None
                queue.appendleft(index)
                continue
            node_id, result = reply
            self._counters.nodes.add(node_id)
            self._counters.bytes_from_workers += _size(result)
            results[index] = result
            waiting_since = time.monotonic()
        return results

    def _started(self, handle: _Handle, ref) -> None:
        try:
            handle.node_id = self._ray.get(ref)
            handle.ready_ref = None
        except self._ray.exceptions.RayActorError as exc:
            self._drop(handle)
            self._start_failures += 1
            if self._start_failures > START_FAILURES_ALLOWED * max(1, self._target_workers()):
                raise RuntimeError(f"Ray workers keep failing to start: {exc}") from None

    def transport_stats(self) -> dict[str, float]:
        c, self._counters = self._counters, _Counters()
        busy = max(len(c.busy_workers), 1)
        return {
            "workers": sum(h.ready_ref is None for h in self._handles),
            "nodes": len(c.nodes),
            "bytes_per_worker": (c.bytes_to_workers + c.bytes_from_workers + c.sync_bytes) / busy,
            "bytes_to_workers": c.bytes_to_workers,
            "bytes_from_workers": c.bytes_from_workers,
            "sync_bytes": c.sync_bytes,
            "resyncs": c.resyncs,
            "redone_tasks": c.redone_tasks,
            "lost_workers": c.lost_workers,
        }

    def close(self) -> None:
        for handle in self._handles:
            with contextlib.suppress(Exception):
                self._ray.kill(handle.actor)
        self._handles = []
        if self._owns_ray:
            self._ray.shutdown()
