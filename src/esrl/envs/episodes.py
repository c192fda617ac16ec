"""Play one whole episode per member, each member's episode seeded by its own seed.

ES plays a population whose episodes end at different times. Here a finished
member's env slot takes the next member that has not played, so no slot steps
a finished episode, and a member's episode depends only on its seed and its own
actions: never on which members share a batch, a slot or a worker. That makes
ES results independent of how a generation is split over workers.

Engines (`--engine`):
- `envpool`: EnvPool's C++ vector envs (MuJoCo, classic control), stepped by its
  own threads while this thread computes the next actions. One env per member,
  created with the member's seed; envs whose member has finished are not stepped.
- `gymnasium`: `gymnasium.make(id)` envs reset with `reset(seed=member seed)`:
  exactly the episodes a user gets from gymnasium. CartPole uses gymnasium's
  numpy vector env, each slot's start state drawn as `CartPoleEnv.reset(seed)` does.
- `auto`: envpool where it has the id (and is installed), else gymnasium.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from esrl.envs.vector import env_info

# (member ids, their observations) -> one action per member; ALL instead of ids
# means every member, in member order
Act = Callable[[np.ndarray | slice, np.ndarray], np.ndarray]
ALL = slice(None)

ENGINES = ("auto", "envpool", "gymnasium")
ENVPOOL_BATCH_DIVISOR = 3  # EnvPool batches hold 1/3 of a task's members
MAX_SLOTS = 64  # gymnasium.make envs stepped side by side (each step is a Python call)
MAX_VECTOR_SLOTS = 4096  # numpy CartPole: a step costs about the same for any width
CARTPOLE_IDS = ("CartPole-v0", "CartPole-v1")


@dataclass(frozen=True)
class Episodes:
    """One episode per member, in member order."""

    returns: np.ndarray  # float64 (M,)
    lengths: np.ndarray  # int64 (M,)
    obs_sum: np.ndarray  # float64 (M, D): the observations each member acted on; D = 0 untracked
    obs_sumsq: np.ndarray
    executed: int  # env steps the engine ran, counting envs stepped after their member finished


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@cache
def envpool_ids() -> frozenset[str]:
    """Ids EnvPool and gymnasium both register, or none if EnvPool is not installed."""
    try:
        import envpool
    except ImportError:
        return frozenset()
    import gymnasium as gym

    return frozenset(envpool.list_all_envs()) & frozenset(gym.registry)


def choose_engine(env_id: str, requested: str = "auto") -> str:
    """The engine that plays `env_id`: `requested`, or for auto the fastest that has it."""
    from esrl.errors import UserError

    if requested not in ENGINES:
        raise UserError(f"--engine must be one of {', '.join(ENGINES)}, got {requested!r}")
    if requested == "gymnasium" or (requested == "auto" and env_id in CARTPOLE_IDS):
        return "gymnasium"
    if env_id in envpool_ids():
        return "envpool"
    if requested == "envpool":
        raise UserError(
            f"EnvPool has no environment {env_id!r} (or is not installed); use --engine gymnasium"
        )
    return "gymnasium"


class _Tally:
    """Per-member returns, lengths and observation sums."""

    def __init__(self, members: int, obs_dim: int, track_obs: bool):
        self.returns = np.zeros(members)
        self.lengths = np.zeros(members, np.int64)
        dim = obs_dim if track_obs else 0
        self.obs_sum = np.zeros((members, dim))
        self.obs_sumsq = np.zeros((members, dim))
        self.track = track_obs
        self.executed = 0

    def observe(self, ids: np.ndarray, obs: np.ndarray) -> None:
        if self.track:
            seen = obs.astype(np.float64)
            self.obs_sum[ids] += seen
            self.obs_sumsq[ids] += np.square(seen)  # ids are unique: no lost additions

    def result(self) -> Episodes:
        executed = self.executed or int(self.lengths.sum())
        return Episodes(self.returns, self.lengths, self.obs_sum, self.obs_sumsq, executed)


class EnvPoolEngine:
    """One EnvPool env per member, created with the member's seed; async batches."""

    def __init__(self, env_id: str, threads: int = 0):
        self.env_id = env_id
        self.threads = threads or default_threads()

    def play(self, seeds: np.ndarray, act: Act, cap: int, track_obs: bool) -> Episodes:
        import envpool

        members = len(seeds)
        # Batches of a third of the members: while this thread computes one batch's
        # actions, EnvPool's threads step the others.
        batch = max(1, -(-members // ENVPOOL_BATCH_DIVISOR))
        pool = envpool.make_gymnasium(
            self.env_id,
            num_envs=members,
            batch_size=batch,
            num_threads=min(self.threads, members),
            seed=0,
            env_seed=[int(s) for s in seeds],
            max_episode_steps=cap,
        )
        tally = _Tally(members, pool.single_observation_space.shape[0], track_obs)
        playing = np.ones(members, bool)
        started = np.zeros(members, bool)
        zero_action = np.zeros(pool.single_action_space.shape, pool.single_action_space.dtype)
        try:
            pool.async_reset()
            while playing.any():
                obs, reward, terminated, truncated, info = pool.recv()
                ids = info["env_id"]
                stepped = playing[ids] & started[ids]  # the first answer is the reset
                tally.returns[ids[stepped]] += reward[stepped]
                tally.lengths[ids[stepped]] += 1
                playing[ids[stepped & (terminated | truncated)]] = False
                started[ids] = True
                go = playing[ids]
                actions = np.broadcast_to(zero_action, (len(ids), *zero_action.shape)).copy()
                if go.any():
                    tally.observe(ids[go], obs[go])
                    actions[go] = act(ids[go], obs[go])
                # A recv waits for `batch` envs: when fewer members are still playing,
                # some finished envs are stepped on: executed, not episode steps.
                filler = np.flatnonzero(~go)[: max(0, batch - int(playing.sum()))]
                go[filler] = True
                if playing.any():
                    pool.send(actions[go], ids[go])
                    tally.executed += int(go.sum())
        finally:
            pool.close()
        return tally.result()

    def close(self) -> None:
        pass


class GymnasiumEngine:
    """`gymnasium.make(id)` envs in up to MAX_SLOTS slots, refilled as members finish."""

    def __init__(self, env_id: str):
        self.env_id = env_id
        self.envs: list = []
        self.obs_dim = env_info(env_id).observation_space.shape[0]

    def _slots(self, count: int) -> list:
        import gymnasium as gym

        while len(self.envs) < count:
            self.envs.append(gym.make(self.env_id))
        return self.envs[:count]

    def play(self, seeds: np.ndarray, act: Act, cap: int, track_obs: bool) -> Episodes:
        members = len(seeds)
        envs = self._slots(min(members, MAX_SLOTS))
        tally = _Tally(members, self.obs_dim, track_obs)
        slot_member = np.arange(len(envs))
        obs = np.stack(
            [env.reset(seed=int(seeds[m]))[0] for m, env in zip(slot_member, envs, strict=True)]
        )
        following = len(envs)
        active = np.ones(len(envs), bool)
        while active.any():
            slots = np.flatnonzero(active)
            ids = slot_member[slots]
            tally.observe(ids, obs[slots])
            actions = act(ids, obs[slots])
            for slot, member, action in zip(slots, ids, actions, strict=True):
                obs[slot], reward, terminated, truncated, _ = envs[slot].step(action)
                tally.returns[member] += reward
                tally.lengths[member] += 1
                if terminated or truncated or tally.lengths[member] >= cap:
                    if following < members:
                        slot_member[slot] = following
                        obs[slot] = envs[slot].reset(seed=int(seeds[following]))[0]
                        following += 1
                    else:
                        active[slot] = False
        return tally.result()

    def close(self) -> None:
        for env in self.envs:
            env.close()
        self.envs.clear()


class CartPoleEngine:
    """gymnasium's numpy CartPole vector env, one member per slot, refilled as members finish.

    A slot that takes a member gets the start state `CartPoleEnv.reset(seed=s)` would
    draw, so every episode equals the one `gymnasium.make("CartPole-v1")` plays.
    """

    def __init__(self, env_id: str):
        self.env_id = env_id
        self.env = None

    def _start(self, slot: int, seed: int) -> np.ndarray:
        from gymnasium.utils import seeding

        env = self.env.unwrapped
        env.state[:, slot] = seeding.np_random(seed)[0].uniform(-0.05, 0.05, size=(4,))
        env.steps[slot] = 0
        env.prev_done[slot] = False
        return env.state[:, slot].astype(np.float32)

    def play(self, seeds: np.ndarray, act: Act, cap: int, track_obs: bool) -> Episodes:
        import gymnasium as gym

        members = len(seeds)
        if members > MAX_VECTOR_SLOTS:  # refill slots as they free up
            return _play_in_slots(self, seeds, act, cap, track_obs, MAX_VECTOR_SLOTS)
        if self.env is None or self.env.num_envs != members:
            self.close()
            self.env = gym.make_vec(self.env_id, num_envs=members)
        self.env.reset(seed=0)
        tally = _Tally(members, 4, track_obs)
        obs = np.stack([self._start(k, int(seeds[k])) for k in range(members)])
        active = np.ones(members, bool)
        # One member per slot: every slot acts each step (a numpy step costs the same
        # for any width); a finished member's later steps are not counted.
        while active.any():
            if track_obs:
                tally.observe(np.flatnonzero(active), obs[active])
            obs, reward, terminated, truncated, _ = self.env.step(act(ALL, obs))
            tally.executed += members
            tally.returns += np.where(active, reward, 0.0)
            tally.lengths += active
            active &= ~(terminated | truncated) & (tally.lengths < cap)
        return tally.result()

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
            self.env = None


def _play_in_slots(engine: CartPoleEngine, seeds, act: Act, cap: int, track_obs: bool, slots: int):
    """CartPole with more members than slots: a finished slot takes the next member."""
    import gymnasium as gym

    members = len(seeds)
    if engine.env is None or engine.env.num_envs != slots:
        engine.close()
        engine.env = gym.make_vec(engine.env_id, num_envs=slots)
    engine.env.reset(seed=0)
    tally = _Tally(members, 4, track_obs)
    slot_member = np.arange(slots)
    obs = np.stack([engine._start(k, int(seeds[k])) for k in range(slots)])
    following = slots
    active = np.ones(slots, bool)
    actions = np.zeros(slots, np.int64)
    while active.any():
        ids = slot_member[active]
        tally.observe(ids, obs[active])
        actions[active] = act(ids, obs[active])
        obs, reward, terminated, truncated, _ = engine.env.step(actions)
        tally.returns[ids] += reward[active]
        tally.lengths[ids] += 1
        done = active & (terminated | truncated)
        done[active] |= tally.lengths[ids] >= cap
        for slot in np.flatnonzero(done):
            if following < members:
                slot_member[slot] = following
                obs[slot] = engine._start(slot, int(seeds[following]))
                following += 1
            else:
                active[slot] = False
    return tally.result()


def make_engine(env_id: str, engine: str = "auto", threads: int = 0):
    """An engine with `play(seeds, act, cap, track_obs) -> Episodes` and `close()`."""
    name = choose_engine(env_id, engine)
    if name == "envpool":
        return EnvPoolEngine(env_id, threads)
    if env_id in CARTPOLE_IDS:
        return CartPoleEngine(env_id)
    return GymnasiumEngine(env_id)
