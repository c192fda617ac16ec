"""Atari games from ale-py, whose wheel carries the ROMs.

Batched play uses `ale_py.vector_env.AtariVectorEnv`: C++ threads do frame skip,
max-pooling, grayscale, resize, frame stacking and no-op starts. Its defaults are
not DeepMind's, so every constructor here sets them explicitly:

- `reward_clipping=False` always: rewards are the raw game score, and an algorithm
  that wants clipped rewards clips them itself (`AtariBatch(clip_rewards=True)`);
- `episodic_life=False` always (ALE's version restarts the whole game on a life
  loss); a life loss can instead be reported as a terminal for training while the
  game goes on (`life_loss_terminal=True`), and a full game is what counts as an
  episode for scores (`info["game_score"]`).
"""

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import gymnasium as gym
import numpy as np

from esrl.errors import UserError

ROM_LIST_HINT = (
    'list the games with `python -c "import ale_py.roms; print(ale_py.roms.get_all_rom_ids())"`'
)
MAX_FRAMES_PER_GAME = 108_000  # 30 minutes of play, the usual cap


@dataclass(frozen=True)
class AtariProtocol:
    """How evaluation games are played. The default is the protocol of Machado et al.
    (2018) and of gymnasium's `ALE/*-v5`: at every emulator frame the previous frame's
    action repeats with probability `sticky_actions`; after each reset ALE plays up to
    `noop_max` no-ops; games are whole (all lives, up to 108,000 frames)."""

    sticky_actions: float = 0.25
    noop_max: int = 30

    def __post_init__(self) -> None:
        if not 0 <= self.sticky_actions <= 1:
            raise UserError(f"--sticky-actions must be in [0, 1], got {self.sticky_actions}")
        if self.noop_max < 0:
            raise UserError(f"--noop-max must be >= 0, got {self.noop_max}")

    def __str__(self) -> str:
        return (
            f"sticky actions {self.sticky_actions:g}, ALE no-op starts up to {self.noop_max}, "
            "whole games"
        )


def play_atari_games(
    game: str,
    act: Callable[[np.ndarray], np.ndarray],
    games: int,
    seed: int,
    protocol: AtariProtocol,
    **frames,
) -> np.ndarray:
    """Raw scores of `games` whole games under `protocol`, one per env of a batch, from a
    seeded reset; `act` maps a batch of observations to a batch of actions and `frames`
    are `make_atari`'s frame options (size, stack, frameskip, crop_bottom, channels_last)."""
    env = make_atari(
        game,
        games,
        noop_max=protocol.noop_max,
        repeat_action_probability=protocol.sticky_actions,
        **frames,
    )
    return first_game_scores(env, act, seed)


def first_game_scores(
    env: gym.vector.VectorEnv, act: Callable[[np.ndarray], np.ndarray], seed: int
) -> np.ndarray:
    """Each env's first whole-game score (`info["game_score"]`) from a seeded reset; the
    env is closed after."""
    scores = np.full(env.num_envs, np.nan)
    try:
        obs, _ = env.reset(seed=seed)
        while np.isnan(scores).any():
            obs, _, _, _, info = env.step(act(obs))
            first = ~np.isnan(info["game_score"]) & np.isnan(scores)
            scores[first] = info["game_score"][first]
    finally:
        env.close()
    return scores


def channels_last(frames: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> a new contiguous (N, H, W, C) array.

    One strided copy per channel: for 4 uint8 channels several times faster than
    numpy's transposed copy, and it runs at every env step and replay sample."""
    out = np.empty((frames.shape[0], *frames.shape[2:], frames.shape[1]), frames.dtype)
    for channel in range(frames.shape[1]):
        out[..., channel] = frames[:, channel]
    return out


@cache
def _roms() -> frozenset[str]:
    from ale_py import roms

    return frozenset(roms.get_all_rom_ids())


def game_name(env_id: str) -> str | None:
    """ROM name for 'pong', 'Pong', 'PongNoFrameskip-v4' or 'ALE/Pong-v5'; None if not a game.

    An id that is clearly meant as Atari (ALE/..., ...NoFrameskip...) but names no
    ROM is a UserError listing where to find valid names.
    """
    atari_id = env_id.startswith("ALE/") or "NoFrameskip" in env_id
    if not atari_id and _registered_elsewhere(env_id):
        return None  # a gymnasium id means that env, even where a ROM shares its name
    name = re.sub(r"-v\d+$", "", env_id.removeprefix("ALE/"))
    name = re.sub(r"(NoFrameskip|Deterministic)$", "", name)
    snake = name if name.islower() else re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    if snake in _roms():
        if not atari_id:
            _note_namesake(env_id, snake)
        return snake
    if atari_id:
        raise UserError(f"{env_id!r} names no Atari game known to ale-py; {ROM_LIST_HINT}")
    return None


def _registered_elsewhere(env_id: str) -> bool:
    """Whether gymnasium registers `env_id` as an env that is not an ALE game."""
    spec = gym.envs.registry.get(env_id)
    return spec is not None and "ale_py" not in str(spec.entry_point)


@cache
def _note_namesake(env_id: str, rom: str) -> None:
    """Say which env a plain game name took when gymnasium has a namesake."""
    namesakes = sorted(  # plain ids before namespaced ones, newest version last
        (
            key
            for key, spec in gym.envs.registry.items()
            if "ale_py" not in str(spec.entry_point)
            and re.sub(r"-v\d+$", "", key.split("/")[-1]).replace("_", "").lower()
            == rom.replace("_", "")
        ),
        key=lambda key: ("/" not in key, key),
    )
    if namesakes:
        sys.stderr.write(
            f"esrl: {env_id!r} is the Atari game {rom!r}; for gymnasium's env use "
            f"--env {namesakes[-1]}\n"
        )


def make_atari(
    game: str,
    num_envs: int,
    *,
    size: int | tuple[int, int] = 84,
    crop_bottom: int = 0,
    stack: int = 4,
    frameskip: int = 4,
    noop_max: int = 30,
    repeat_action_probability: float = 0.0,
    max_frames: int = MAX_FRAMES_PER_GAME,
    num_threads: int = 0,
    batch_size: int = 0,
    life_loss_terminal: bool = False,
    clip_rewards: bool = False,
    channels_last: bool = False,
    same_step_reset: bool = False,
) -> "AtariBatch":
    """`num_envs` games played in ALE's C++ threads; observations (N, stack, size, size) uint8.

    `game` may be any id `game_name` understands. `batch_size` < `num_envs` makes
    step/send/recv asynchronous (the first `batch_size` games to finish a step).
    `same_step_reset`: the step that ends a game already returns the next game's
    first observation (what trajectory learners want); otherwise the step after it
    does, ignoring its action (gymnasium's default, what ES's episode loop wants).
    `size` is SIZE or (HEIGHT, WIDTH) of the resized screen; `crop_bottom` rows are
    then cut off its bottom (the DQN notebook's crop of the score bar).
    """
    from ale_py.vector_env import AtariVectorEnv

    rom = game_name(game)
    if rom is None:
        raise UserError(f"{game!r} is not an Atari game known to ale-py; {ROM_LIST_HINT}")
    height, width = (size, size) if isinstance(size, int) else size
    if min(height, width, stack, frameskip, num_envs) <= 0 or not 0 <= crop_bottom < height:
        raise UserError(
            "Atari frame size, stack, frameskip and number of envs must be positive, "
            "and the crop smaller than the frame"
        )
    env = AtariVectorEnv(
        rom,
        num_envs,
        batch_size=batch_size,
        num_threads=num_threads,
        img_height=height,
        img_width=width,
        stack_num=stack,
        frameskip=frameskip,
        noop_max=noop_max,
        repeat_action_probability=repeat_action_probability,
        max_num_frames_per_episode=max_frames,
        reward_clipping=False,
        episodic_life=False,
        life_loss_info=True,  # terminated on a life loss; AtariBatch decides what it means
        use_fire_reset=True,
        autoreset_mode="SameStep" if same_step_reset else "NextStep",
    )
    return AtariBatch(
        env, life_loss_terminal, clip_rewards, channels_last, same_step_reset, crop_bottom
    )


def make_pong(num_envs: int | None = None, **kwargs) -> "gym.Env | AtariBatch":
    """Pong as in the course notebook: 42x42 grayscale frames, the last 4 stacked.

    With no `num_envs`, one gymnasium env whose observation is (4, 42, 42) uint8;
    with `num_envs`, the batched `make_atari` equivalent. Both run the same C++
    preprocessing, so a policy sees the same frames in either.
    """
    batch = make_atari("pong", num_envs or 1, size=42, stack=4, **kwargs)
    return batch if num_envs is not None else SingleGame(batch)


def nature_dqn_env(env_id: str, nenvs: int, **kwargs) -> "AtariBatch":
    """The A2C notebook's env: (nenvs, 84, 84, 4) uint8 observations, DeepMind preprocessing.

    For training: a life loss is a terminal (the game goes on) and rewards are
    clipped to their sign; the raw per-game score is in `info["game_score"]`. A
    finished game restarts within the same step, as the notebook's runner expects.
    """
    options = dict(size=84, stack=4, life_loss_terminal=True, clip_rewards=True)
    options["same_step_reset"] = True
    return make_atari(env_id, nenvs, channels_last=True, **{**options, **kwargs})


@cache
def reference_frame_stats(
    game: str, size: int, frameskip: int, floor: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and 1/std of frames (scaled to [0, 1]) from random play, fixed seed.

    A fixed input normalisation in the spirit of the ES paper's virtual batch norm:
    the background goes to zero and what moves (ball, paddles) stands out, so that
    perturbed policies differ in how they react to the game rather than all seeing
    a near-constant gray picture. Deterministic: every process computes the same.
    """
    env = make_atari(game, 8, size=size, frameskip=frameskip, noop_max=0)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    total = np.zeros(env.single_observation_space.shape)
    total_sq = np.zeros_like(total)
    count = 0
    for step in range(256):
        obs, *_ = env.step(rng.integers(0, env.num_actions, env.num_envs))
        if step % 4 == 0:
            frames = obs.astype(np.float64) / 255.0
            total += frames.sum(axis=0)
            total_sq += np.square(frames).sum(axis=0)
            count += len(frames)
    env.close()
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - np.square(mean), 0.0))
    return mean.astype(np.float32), (1.0 / np.maximum(std, floor)).astype(np.float32)


class AtariBatch(gym.vector.VectorWrapper):
    """Adds full-game score accounting and the training conventions on top of ALE.

    `info["game_score"]` holds, for each env whose game ended at this step, its raw
    score over the whole game (all lives); NaN elsewhere. `info["raw_reward"]` is
    the unclipped reward. `terminated` is a life loss or a game end when
    `life_loss_terminal`, else only a game end; `info["game_over"]` is always the
    game end.
    """

    def __init__(
        self,
        env,
        life_loss_terminal: bool,
        clip_rewards: bool,
        channels_last: bool,
        same_step_reset: bool = False,
        crop_bottom: int = 0,
    ):
        super().__init__(env)
        self.crop_bottom = crop_bottom
        self.life_loss_terminal = life_loss_terminal
        self.clip_rewards = clip_rewards
        self.channels_last = channels_last
        self.same_step_reset = same_step_reset
        self._scores = np.zeros(env.num_envs)
        self._resetting = np.zeros(env.num_envs, bool)  # next step of this env is a reset
        self._frames = np.zeros(env.num_envs, np.int64)  # frames into the current game
        stack, height, width = env.single_observation_space.shape
        height -= crop_bottom
        shape = (height, width, stack) if channels_last else (stack, height, width)
        self.single_observation_space = gym.spaces.Box(0, 255, shape, np.uint8)
        self.observation_space = gym.vector.utils.batch_space(
            self.single_observation_space, env.num_envs
        )

    @property
    def num_actions(self) -> int:
        return int(self.env.single_action_space.n)

    def _obs(self, obs: np.ndarray) -> np.ndarray:
        if self.crop_bottom:
            obs = obs[:, :, : obs.shape[2] - self.crop_bottom]
        if self.channels_last:
            return channels_last(obs)
        return np.ascontiguousarray(obs) if self.crop_bottom else obs

    def reset(self, *, seed=None, options=None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._scores[:] = 0.0
        self._resetting[:] = False
        self._frames[:] = info["episode_frame_number"]
        return self._obs(obs), info

    def step(self, actions):
        self.send(actions)
        return self.recv()

    def send(self, actions) -> None:
        """Start a step in ALE's threads and return at once (pair with `recv`)."""
        self.env.send(np.asarray(actions))

    def recv(self):
        obs, reward, terminated, truncated, info = self.env.recv()
        ids = info.get("env_id", np.arange(len(reward)))
        reward = np.where(self._resetting[ids], 0.0, reward).astype(np.float64)
        if self.same_step_reset:  # info describes the new game already: its frame count restarted
            restarted = info["episode_frame_number"] < self._frames[ids]
            game_over = (terminated & restarted) | truncated
            self._frames[ids] = info["episode_frame_number"]
        else:
            game_over = (terminated & (info["lives"] == 0)) | truncated
        self._scores[ids] += reward
        info = dict(info)
        info["raw_reward"] = reward
        info["game_over"] = game_over
        info["game_score"] = np.where(game_over, self._scores[ids], np.nan)
        self._scores[ids] = np.where(game_over, 0.0, self._scores[ids])
        self._resetting[ids] = game_over & (not self.same_step_reset)
        if not self.life_loss_terminal:
            terminated = terminated & game_over
        if self.clip_rewards:
            reward = np.sign(reward)
        return self._obs(obs), reward, terminated, truncated, info


class SingleGame(gym.Env):
    """One game of an `AtariBatch` as a plain gymnasium env (for notebooks and videos)."""

    def __init__(self, batch: AtariBatch):
        self.batch = batch
        self.observation_space = batch.single_observation_space
        self.action_space = batch.env.single_action_space

    def reset(self, *, seed=None, options=None):
        obs, info = self.batch.reset(seed=seed)
        return obs[0], {k: v[0] for k, v in info.items()}

    def step(self, action):
        obs, reward, terminated, truncated, info = self.batch.step(np.array([action], np.int64))
        single = {k: v[0] for k, v in info.items()}
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), single

    def close(self):
        self.batch.close()
