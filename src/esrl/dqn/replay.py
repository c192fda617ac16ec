"""Experience replay for a pool of games, stored as one new frame per step.

Each game's steps are kept in time order in a ring of `replay_size // nenvs`
slots. A slot holds the newest frame of the observation (uint8; the 4-frame
stack is rebuilt on sampling, a quarter of the memory of storing stacks), the
action taken, the reward, whether the step ended an episode for training (a life
loss counts), and whether the observation starts a new game (the env's frame
stack is zeros before a game's first frame, and the rebuilt one is too).
Vector observations (CartPole) are stored whole, with a stack of one.
"""

from typing import Any

import numpy as np

from esrl.envs.atari import channels_last


class ReplayBuffer:
    def __init__(
        self, replay_size: int, nenvs: int, obs_shape: tuple[int, ...], pixels: bool
    ) -> None:
        self.slots = replay_size // nenvs
        self.nenvs = nenvs
        self.pixels = pixels
        self.stack = obs_shape[-1] if pixels else 1
        frame_shape = obs_shape[:-1] if pixels else obs_shape
        dtype = np.uint8 if pixels else np.float32
        self.frames = np.zeros((self.slots, nenvs, *frame_shape), dtype)
        self.actions = np.zeros((self.slots, nenvs), np.int64)
        self.rewards = np.zeros((self.slots, nenvs), np.float32)
        self.dones = np.zeros((self.slots, nenvs), bool)
        self.starts = np.zeros((self.slots, nenvs), bool)
        self.added = 0  # steps (rows of nenvs transitions) ever added

    def __len__(self) -> int:
        """Transitions held."""
        return min(self.added, self.slots) * self.nenvs

    def add(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        dones: np.ndarray,
        starts: np.ndarray,
    ) -> None:
        """One step of every game: the observation acted on, and what followed."""
        slot = self.added % self.slots
        self.frames[slot] = obs[..., -1] if self.pixels else obs
        self.actions[slot] = actions
        self.rewards[slot] = rewards
        self.dones[slot] = dones
        self.starts[slot] = starts
        self.added += 1

    def valid_range(self, n: int) -> tuple[int, int]:
        """First and last+1 step t whose window (stack before t, then t .. t+n) is held."""
        oldest = max(0, self.added - self.slots)
        return oldest + self.stack - 1, self.added - n

    def can_sample(self, n: int) -> bool:
        """Whether one n-step window is held yet (a small --learning-starts may ask early)."""
        low, high = self.valid_range(n)
        return high > low

    def sample(self, batch_size: int, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Random windows: obs at t, actions a_t, rewards and dones t..t+n-1, obs at t+n."""
        low, high = self.valid_range(n)
        if high <= low:
            raise ValueError("not enough steps in the replay memory for one window")
        times = rng.integers(low, high, batch_size)
        games = rng.integers(0, self.nenvs, batch_size)
        steps = times[:, None] + np.arange(n)
        return {
            "obs": self.observations(times, games),
            "actions": self.actions[times % self.slots, games],
            "rewards": self.rewards[steps % self.slots, games[:, None]],
            "dones": self.dones[steps % self.slots, games[:, None]],
            "next_obs": self.observations(times + n, games),
        }

    def observations(self, times: np.ndarray, games: np.ndarray) -> np.ndarray:
        """The stacked observations at (time, game), as the env gave them."""
        if not self.pixels:
            return self.frames[times % self.slots, games]
        offsets = np.arange(-self.stack + 1, 1)  # oldest frame first, as in the env's stack
        window = times[:, None] + offsets
        frames = self.frames[window % self.slots, games[:, None]]  # (B, stack, H, W)
        starts = self.starts[window % self.slots, games[:, None]]
        # a frame is from the current game unless a game starts after it within the window
        later_start = np.cumsum(starts[:, ::-1], axis=1)[:, ::-1] - starts
        frames[later_start > 0] = 0  # `frames` is a fresh copy (fancy indexing)
        return channels_last(frames)  # as the env gives them

    def state(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "actions": self.actions,
            "rewards": self.rewards,
            "dones": self.dones,
            "starts": self.starts,
            "added": np.array(self.added),
        }

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for key in ("frames", "actions", "rewards", "dones", "starts"):
            if arrays[key].shape != getattr(self, key).shape:
                raise ValueError(f"replay {key} has shape {arrays[key].shape}")
            setattr(self, key, arrays[key])
        self.added = int(arrays["added"])
