"""A pool of persistent local worker processes, one per core by default.

Workers start once, attach to this machine's shared noise table, build their
environments and policy, and then live across generations. Each generation a
worker receives only what changed (the mean parameters, observation statistics
and its tasks) and sends back returns, lengths and observation sums.
"""

import contextlib
import multiprocessing as mp
import os
import signal
import traceback

from esrl.envs.atari import game_name
from esrl.es.config import ESConfig
from esrl.es.evaluation import Evaluator, Task, TaskResult
from esrl.es.noise import NoiseTable
from esrl.es.replica import Snapshot


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _uses_cuda(config: ESConfig) -> bool:
    if config.device == "cpu" or not game_name(config.env):
        return False  # MLPs run in numpy, and torch stays unloaded
    import torch

    return torch.cuda.is_available()


def _worker_main(conn, config: ESConfig, threads: int) -> None:
    # Ctrl-C reaches the whole process group; the driver stops the run and then us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size), threads)
    while True:
        message = conn.recv()
        if message is None:
            break
        params, obs_norm, tasks = message
        try:
            conn.send(("ok", [evaluator.evaluate(params, obs_norm, task) for task in tasks]))
        except Exception:
            conn.send(("error", traceback.format_exc()))
    evaluator.close()


class WorkerDied(RuntimeError):
    pass


class ProcessBackend:
    def __init__(self, config: ESConfig):
        self.config = config
        NoiseTable.shared(config.seed, config.noise_size)  # create once, before workers attach
        self.num_workers = config.workers or default_workers()
        threads = max(1, default_workers() // self.num_workers)  # EnvPool threads per worker
        # fork starts in milliseconds and needs no `if __name__ == "__main__"` guard in
        # user scripts; the trainer creates the backend before any other thread starts.
        # A forked child cannot use CUDA once its parent asked for it: workers that run
        # the Atari network on a GPU are spawned.
        forkable = "fork" in mp.get_all_start_methods() and not _uses_cuda(config)
        method = "fork" if forkable else "spawn"
        context = mp.get_context(method)
        self.connections, self.processes = [], []
        for _ in range(self.num_workers):
            parent, child = context.Pipe()
            process = context.Process(
                target=_worker_main, args=(child, config, threads), daemon=True
            )
            process.start()
            child.close()
            self.connections.append(parent)
            self.processes.append(process)

    def evaluate(self, snapshot: Snapshot, tasks: list[Task]) -> list[TaskResult]:
        params, obs_norm = snapshot.state.params, snapshot.normalizer(self.config.obs_norm)
        # Static round-robin: task i goes to worker i mod W. Results are keyed by
        # position, so the assignment never affects what is computed.
        shares = [tasks[w :: self.num_workers] for w in range(self.num_workers)]
        busy = [w for w, share in enumerate(shares) if share]
        for w in busy:
            self.connections[w].send((params, obs_norm, shares[w]))
        results: list[TaskResult | None] = [None] * len(tasks)
        for w in busy:
            try:
                status, payload = self.connections[w].recv()
            except (EOFError, ConnectionResetError):
                raise WorkerDied(f"worker process {w} died") from None
            if status == "error":
                raise RuntimeError(f"worker {w} failed:\n{payload}")
            for offset, result in enumerate(payload):
                results[w + offset * self.num_workers] = result
        return results

    @property
    def split(self) -> int:
        return self.num_workers  # tasks go round robin: one each

    def transport_stats(self) -> dict[str, float]:
        return {}

    def close(self) -> None:
        for conn in self.connections:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        self.connections, self.processes = [], []
