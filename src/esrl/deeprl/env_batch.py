"""The env batch a gradient learner (A2C, DQN) trains on: Atari games or vector-observation envs.

Both kinds restart a finished episode within the step that ends it (gymnasium's
same-step autoreset), so a trajectory never holds a step whose action was ignored,
and both report `info["game_score"]`: the raw score of each game that ended at
this step (NaN elsewhere), counted over whole games even when a life loss is a
training terminal.
"""

from collections.abc import Callable

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

from esrl.deeprl.split import SplitBatch
from esrl.envs.atari import AtariProtocol, first_game_scores, game_name, nature_dqn_env
from esrl.envs.vector import env_info
from esrl.errors import UserError, require_finite

# Atari observation pipelines: DeepMind's 84x84, or the DQN notebook's 105x80 with the
# bottom 25 rows (score bar) cropped: ALE resizes the screen to 120x80 and 15 rows
# (26 of the original 210) are cut, all in ALE's threads but the slice.
FRAMES = {"nature": dict(size=84), "notebook": dict(size=(120, 80), crop_bottom=15)}


def make_env_batch(
    env_id: str,
    num_envs: int,
    *,
    training: bool = True,
    frame_size: int = 84,
    frames: str = "nature",
    clip_rewards: bool | None = None,
    split: bool = False,
    protocol: AtariProtocol | None = None,
) -> gym.vector.VectorEnv:
    """Atari: DeepMind preprocessing (life-loss terminals only when `training`; rewards
    clipped when `clip_rewards`, which defaults to `training`); anything else: a
    synchronous gymnasium vector env. Atari frames are channels-last uint8.

    `split` (Atari, 2 envs or more): a `SplitBatch` of two halves, which `EnvRunner`
    steps overlapped with acting. `protocol` (Atari): the sticky actions and no-op
    starts to play under (default: none and ALE's 30)."""
    if game_name(env_id) is not None:
        options = dict(FRAMES[frames])
        if protocol is not None:
            options.update(
                noop_max=protocol.noop_max, repeat_action_probability=protocol.sticky_actions
            )
        if frames == "nature":
            options["size"] = frame_size
        clip = training if clip_rewards is None else clip_rewards
        options.update(life_loss_terminal=training, clip_rewards=clip)
        if split and num_envs >= 2:
            half = num_envs // 2
            return SplitBatch(
                [nature_dqn_env(env_id, n, **options) for n in (half, num_envs - half)]
            )
        return nature_dqn_env(env_id, num_envs, **options)
    actions = env_info(env_id).action_space  # a clear error for unknown ids or unusable spaces
    if not isinstance(actions, gym.spaces.Discrete):
        raise UserError(
            f"{env_id!r} has actions {actions}; A2C and DQN here choose among discrete "
            "actions (train it with `esrl train es`)"
        )
    env = gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
    )
    return EpisodeScores(env)


class EpisodeScores(gym.vector.VectorWrapper):
    """`info["game_score"]` and `info["game_over"]` for a same-step-autoreset vector env.

    A NaN or infinite reward or observation stops here with one clear line: NaN in
    `game_score` means "game not over", and a learner must never train on it.
    """

    def __init__(self, env: gym.vector.VectorEnv):
        super().__init__(env)
        self._scores = np.zeros(env.num_envs)

    def reset(self, *, seed=None, options=None):
        self._scores[:] = 0.0
        obs, info = self.env.reset(seed=seed, options=options)
        require_finite(obs, f"{self.env.spec.id if self.env.spec else 'the env'}: an observation")
        return obs, info

    def step(self, actions):
        obs, reward, terminated, truncated, info = self.env.step(actions)
        name = self.env.spec.id if self.env.spec else "the env"
        require_finite(reward, f"{name}: a reward")
        require_finite(obs, f"{name}: an observation")
        over = terminated | truncated
        self._scores += reward
        info = dict(info)
        info["game_over"] = over
        info["game_score"] = np.where(over, self._scores, np.nan)
        self._scores[over] = 0.0
        return obs, reward, terminated, truncated, info


def play_games(
    env_id: str,
    act: Callable[[np.ndarray], np.ndarray],
    games: int,
    seed: int = 0,
    frame_size: int = 84,
    frames: str = "nature",
    protocol: AtariProtocol | None = None,
) -> np.ndarray:
    """Raw scores of `games` whole games, one per env of a batch (no life-loss terminals,
    unclipped rewards; Atari under `protocol`); `act` maps a batch of observations to a
    batch of actions."""
    env = make_env_batch(
        env_id, games, training=False, frame_size=frame_size, frames=frames, protocol=protocol
    )
    return first_game_scores(env, act, seed)
