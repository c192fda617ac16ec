"""Evaluation: play episodes for given policy parameters, return what the update needs.

This is the seed's "function that takes policy weights, generates a session and
returns policy changes", kept apart from scheduling: backends only decide which
process calls `Evaluator.evaluate` on which `Task`.

Every member plays its own episode, keyed by (seed, generation, stream,
episode), with its own streams of random numbers (env seed or Atari no-op start,
action noise, sticky actions), and observation sums come back per member: a task
is any slice of the generation, and the results are the same however a
generation is split. Both members of an antithetic pair play the same episode.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from esrl.envs.atari import MAX_FRAMES_PER_GAME, game_name, make_atari, reference_frame_stats
from esrl.envs.episodes import make_engine
from esrl.envs.vector import env_info, seed_from
from esrl.errors import UserError
from esrl.es.config import ESConfig
from esrl.es.noise import NoiseTable
from esrl.es.observation_stats import ObservationStats
from esrl.es.policies import MLPPolicy, make_action_head
from esrl.es.strategy import perturb

if TYPE_CHECKING:
    from esrl.es.policies.conv import ConvPolicy

NOISE_BLOCK = 128  # steps of random numbers drawn per generator call
ATARI_NOOP_MAX = 30  # random no-op actions at the start of an Atari game, as DeepMind's

# Streams keep the episodes of different uses of one generation independent.
TRAIN_STREAM, CONFIRM_STREAM, FINAL_STREAM = 0, 1, 2
NOOP_DRAWS, STICKY_DRAWS = 3, 4  # an episode's generators past its action noise's (0 to 2)


@dataclass(frozen=True)
class Task:
    generation: int
    task_id: int
    indices: np.ndarray  # int64 noise-table offsets, one per candidate
    signs: np.ndarray  # int8: +1/-1 for the antithetic members, 0 for the mean policy
    episodes: np.ndarray  # int64 per member: which episode it plays (a pair's two share one)
    stream: int = TRAIN_STREAM


@dataclass(frozen=True)
class TaskResult:
    task_id: int
    returns: np.ndarray  # float64, one episode per candidate
    lengths: np.ndarray  # int64
    obs_sum: np.ndarray  # float64 (members, D): per member, summed in member order by `gather`
    obs_sumsq: np.ndarray
    obs_count: int
    executed_steps: int  # env steps run, including those of members already done


@dataclass(frozen=True)
class GenerationResult:
    returns: np.ndarray  # (pairs, 2): column 0 for +eps, column 1 for -eps
    lengths: np.ndarray  # (pairs, 2)
    eval_returns: np.ndarray  # episodes of the unperturbed mean policy
    eval_lengths: np.ndarray
    obs_stats: ObservationStats
    executed_steps: int  # env steps run, including envs stepped after their member finished

    @property
    def env_steps(self) -> int:
        return int(self.lengths.sum() + self.eval_lengths.sum())


def build_policy(config: ESConfig, device: str = "cpu") -> "MLPPolicy | ConvPolicy":
    """The network for the config's env: an MLP on vectors, a CNN (or dense) on Atari frames.

    `device` places the Atari network's forward pass (`--device`); MLPs run in numpy."""
    if game_name(config.env):
        from esrl.device import resolve_device  # torch: only Atari needs it
        from esrl.es.policies.conv import ConvPolicy

        if config.network == "mlp":
            raise UserError("--network mlp is for vector observations; Atari takes cnn or dense")
        if config.obs_norm:
            raise UserError("--obs-norm is for vector observations, not Atari frames")
        env = make_atari(config.env, 1, size=config.frame_size, frameskip=config.frame_skip)
        num_actions = env.num_actions
        env.close()
        arch = "cnn" if config.network == "auto" else config.network
        frame_norm = reference_frame_stats(
            game_name(config.env), config.frame_size, config.frame_skip
        )
        shape = (4, config.frame_size, config.frame_size)
        return ConvPolicy(shape, num_actions, arch, frame_norm, resolve_device(device))
    if config.network not in ("auto", "mlp"):
        raise UserError(f"--network {config.network} is for Atari frames; vectors take mlp")
    info = env_info(config.env)
    return MLPPolicy(
        info.observation_space.shape[0], make_action_head(info.action_space), tuple(config.hidden)
    )


def plan_generation(
    generation: int, indices: np.ndarray, pairs_per_task: int, eval_episodes: int
) -> list[Task]:
    """Split the pairs into tasks; the mean policy's eval episodes are spread over them.

    Pair i plays episode i with both members; eval episode k is episode pairs + k.
    """
    pairs = len(indices)
    starts = range(0, pairs, pairs_per_task)
    eval_counts = np.bincount(np.arange(eval_episodes) % len(starts), minlength=len(starts))
    tasks = []
    for task_id, start in enumerate(starts):
        pair_idx = indices[start : start + pairs_per_task]
        n_eval = int(eval_counts[task_id])
        first_eval = pairs + int(eval_counts[:task_id].sum())
        pair_ids = np.arange(start, start + len(pair_idx), dtype=np.int64)
        tasks.append(
            Task(
                generation=generation,
                task_id=task_id,
                indices=np.concatenate([pair_idx, pair_idx, np.zeros(n_eval, np.int64)]),
                signs=np.concatenate(
                    [
                        np.ones(len(pair_idx), np.int8),
                        -np.ones(len(pair_idx), np.int8),
                        np.zeros(n_eval, np.int8),
                    ]
                ),
                episodes=np.concatenate(
                    [pair_ids, pair_ids, np.arange(first_eval, first_eval + n_eval)]
                ),
            )
        )
    return tasks


def plan_mean_evaluation(generation: int, episodes: int, per_task: int, stream: int) -> list[Task]:
    """Tasks that only play the mean policy: confirming a target, or a final evaluation."""
    starts = range(0, episodes, per_task)
    return [
        Task(
            generation,
            task_id,
            np.zeros(min(per_task, episodes - start), np.int64),
            np.zeros(min(per_task, episodes - start), np.int8),
            np.arange(start, min(start + per_task, episodes)),
            stream,
        )
        for task_id, start in enumerate(starts)
    ]


def gather(tasks: list[Task], results: list[TaskResult]) -> GenerationResult:
    """Reassemble task results in task order (never arrival order) into one generation."""
    plus, minus, eval_parts = [], [], []
    for task, result in zip(tasks, results, strict=True):
        assert task.task_id == result.task_id
        for part, mask in (
            (plus, task.signs == 1),
            (minus, task.signs == -1),
            (eval_parts, task.signs == 0),
        ):
            part.append(
                (
                    result.returns[mask],
                    result.lengths[mask],
                    result.obs_sum[mask],
                    result.obs_sumsq[mask],
                )
            )

    def cat(parts, column):
        return np.concatenate([p[column] for p in parts])

    # Observation sums are added up in member order (all + members by pair, all -
    # members, then eval episodes), whatever the split into tasks was.
    every = plus + minus + eval_parts
    return GenerationResult(
        returns=np.stack([cat(plus, 0), cat(minus, 0)], axis=1),
        lengths=np.stack([cat(plus, 1), cat(minus, 1)], axis=1),
        eval_returns=cat(eval_parts, 0),
        eval_lengths=cat(eval_parts, 1),
        obs_stats=ObservationStats(
            cat(every, 2).sum(axis=0),
            cat(every, 3).sum(axis=0),
            float(sum(r.obs_count for r in results)),
        ),
        executed_steps=sum(r.executed_steps for r in results),
    )


class MemberDraws:
    """Each member's own stream of random numbers, drawn in blocks of `NOISE_BLOCK` steps.

    A block is one call on the member's generator and yields the same numbers as one
    call per step: only the Python calls are fewer. Members without a generator (the
    mean policy) get zeros.
    """

    def __init__(self, rngs: list, width: int, uniform: bool = False):
        self.rngs = rngs
        self.uniform = uniform
        self.block = np.zeros((len(rngs), NOISE_BLOCK, width), np.float32)
        self.used = np.zeros(len(rngs), np.int64)

    def next(self, members: np.ndarray) -> np.ndarray:
        """The next row of each member given (members are distinct)."""
        step = self.used[members] % NOISE_BLOCK
        for m in members[step == 0]:
            if self.rngs[m] is not None:
                if self.uniform:
                    self.rngs[m].random(out=self.block[m], dtype=np.float32)
                else:
                    self.rngs[m].standard_normal(out=self.block[m], dtype=np.float32)
        self.used[members] += 1
        return self.block[members, step]


class ActionNoise(MemberDraws):
    """Gaussian noise on the outputs of the perturbed members, a stream per member; the
    mean policy plays noise-free, as `esrl eval` and `load_policy(...).act` do."""

    def __init__(self, keys: list[tuple], signs: np.ndarray, width: int, scale: float):
        rngs = [
            np.random.default_rng([*key, int(sign) + 1]) if sign else None
            for key, sign in zip(keys, signs, strict=True)
        ]
        super().__init__(rngs, width)
        self.scale = np.float32(scale)

    def next(self, members: np.ndarray) -> np.ndarray:
        return self.scale * super().next(members)


class StickyActions:
    """Agent-level sticky actions: at each step a member keeps its previous action with
    probability p, drawn from its episode's own generator, so both members of a pair
    (one episode) share the draws and no draw depends on the task layout.

    ALE's sticky actions act per emulator frame from an RNG that only a ROM reload
    re-seeds, so they would make a game depend on what its env played before.
    """

    def __init__(self, p: float, keys: list[tuple]):
        self.p = np.float32(p)
        self.draws = MemberDraws(
            [np.random.default_rng([*key, STICKY_DRAWS]) for key in keys], 1, uniform=True
        )
        self.previous = np.zeros(len(keys), np.int64)  # ALE starts from NOOP

    def apply(self, members: np.ndarray, actions: np.ndarray) -> np.ndarray:
        keep = self.draws.next(members)[:, 0] < self.p
        actions = np.where(keep, self.previous[members], actions)
        self.previous[members] = actions
        return actions


def noop_starts(keys: list[tuple]) -> np.ndarray:
    """No-op start counts drawn per episode: both members of a pair share theirs."""
    return np.array(
        [np.random.default_rng([*key, NOOP_DRAWS]).integers(0, ATARI_NOOP_MAX + 1) for key in keys],
        np.int64,
    )


class Evaluator:
    """Plays one episode per candidate of a task (vector envs: `envs.episodes`; Atari:
    all candidates side by side in two ALE batches)."""

    def __init__(self, config: ESConfig, noise: NoiseTable | None, threads: int = 0):
        self.config = config
        self.noise = noise
        self.policy = build_policy(config, config.device)
        self.stats_shape = self.policy.stats_shape
        self.atari = game_name(config.env) is not None
        self.threads = None
        if self.atari:
            from esrl.threads import TorchThreads

            self.threads = TorchThreads()
            self.threads.set(1)  # ALE's C++ threads use the other cores; restored by `close`
            self.step_cap = config.episode_steps or MAX_FRAMES_PER_GAME // config.frame_skip
            self.engine = None
        else:
            limit = env_info(config.env).max_episode_steps or 10_000
            self.step_cap = min(config.episode_steps or limit, limit)
            self.engine = make_engine(config.env, config.engine, threads)
        self._envs = {}

    def _env(self, num_envs: int, slot: int = 0):
        key = (num_envs, slot)
        if key not in self._envs:
            cfg = self.config
            env = make_atari(
                cfg.env, num_envs, size=cfg.frame_size, frameskip=cfg.frame_skip, noop_max=0
            )
            env.reset(seed=0)  # the only seeded reset: see `_play_atari`
            self._envs[key] = env
        return self._envs[key]

    def evaluate(
        self, params: np.ndarray, obs_norm: tuple[np.ndarray, np.ndarray] | None, task: Task
    ) -> TaskResult:
        cfg = self.config
        mean, inv_std = obs_norm if obs_norm is not None else (None, None)
        prepared = self.policy.prepare(
            perturb(params, self.noise, task.indices, task.signs, cfg.sigma), mean, inv_std
        )
        keys = [(cfg.seed, task.generation, task.stream, int(e)) for e in task.episodes]
        width = self.policy.head.num_outputs if not self.atari else self.policy.num_actions
        noise = (
            ActionNoise(keys, task.signs, width, cfg.action_noise)
            if cfg.action_noise > 0.0
            else None
        )
        if self.atari:
            return self._play_atari(prepared, task, keys, noise)
        seeds = np.array([seed_from(*key) for key in keys], np.int64)

        def act(members: np.ndarray | slice, obs: np.ndarray) -> np.ndarray:
            outputs = self.policy.outputs(self.policy.select(prepared, members), obs)
            if noise is not None:
                outputs = outputs + noise.next(np.arange(len(seeds))[members])
            return self.policy.head(outputs)

        played = self.engine.play(seeds, act, self.step_cap, cfg.obs_norm)
        if not cfg.obs_norm:  # keep the (members, D) shape the driver sums over
            zeros = np.zeros((len(seeds), *self.stats_shape))
            obs_sum, obs_sumsq = zeros, zeros
        else:
            obs_sum, obs_sumsq = played.obs_sum, played.obs_sumsq
        steps = int(played.lengths.sum())
        return TaskResult(
            task.task_id,
            played.returns,
            played.lengths,
            obs_sum,
            obs_sumsq,
            obs_count=steps if cfg.obs_norm else 0,
            executed_steps=played.executed,
        )

    def _play_atari(
        self, prepared, task: Task, keys: list[tuple], noise: ActionNoise | None
    ) -> TaskResult:
        """The members in two halves, each its own ALE batch, so that one half's emulation
        (ALE's C++ threads) overlaps the other half's forward pass (this thread).

        Re-seeding ALE reloads the ROM (0.4 s for 8 games), so games restart with an
        unseeded reset, which gives the same state whatever was played before. An
        episode's randomness (no-op starts, sticky and noisy actions) is drawn from its
        key, and the grouped convolution gives every member the same bits in any batch,
        so a game does not depend on the task it is played in.
        """
        cfg = self.config
        members = prepared.members
        cut = (members + 1) // 2
        halves = [h for h in (slice(0, cut), slice(cut, members)) if h.stop > h.start]
        ids = [np.arange(h.start, h.stop) for h in halves]
        parts = [self.policy.prepare_slice(prepared, h) for h in halves]
        envs = [self._env(h.stop - h.start, slot) for slot, h in enumerate(halves)]
        obs = [env.reset()[0] for env in envs]
        noops = noop_starts(keys)
        sticky = StickyActions(cfg.sticky_actions, keys) if cfg.sticky_actions > 0 else None
        returns = np.zeros(members)
        lengths = np.zeros(members, np.int64)
        active = np.ones(members, bool)
        stepped = [0] * len(halves)

        def send(k: int, t: int) -> None:
            logits = self.policy.logits(parts[k], obs[k])
            if noise is not None:
                logits = logits + noise.next(ids[k])
            actions = logits.argmax(axis=-1).astype(np.int64)
            if t < ATARI_NOOP_MAX:
                actions = np.where(t < noops[halves[k]], 0, actions)  # 0 is NOOP in every game
            if sticky is not None:
                actions = sticky.apply(ids[k], actions)
            envs[k].send(actions)
            stepped[k] += 1

        pending = [True] * len(halves)
        for k in range(len(halves)):
            send(k, 0)
        for t in range(self.step_cap):
            for k, h in enumerate(halves):
                if not pending[k]:
                    continue
                obs[k], reward, terminated, truncated, _ = envs[k].recv()
                returns[h] += np.where(active[h], reward, 0.0)
                lengths[h] += active[h]
                active[h] &= ~(terminated | truncated)
                pending[k] = t + 1 < self.step_cap and bool(active[h].any())
                if pending[k]:
                    send(k, t + 1)
            if not any(pending):
                break
        executed = sum(n * (h.stop - h.start) for n, h in zip(stepped, halves, strict=True))
        return TaskResult(
            task.task_id,
            returns,
            lengths,
            np.zeros((members, *self.stats_shape)),
            np.zeros((members, *self.stats_shape)),
            obs_count=0,
            executed_steps=executed,
        )

    def close(self) -> None:
        for env in self._envs.values():
            env.close()
        self._envs.clear()
        if self.engine is not None:
            self.engine.close()
        if self.threads is not None:
            self.threads.restore()
            self.threads = None
