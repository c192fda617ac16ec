"""Use an A2C run from its directory alone: load the agent, play and record games, plot."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from esrl.a2c.config import A2CConfig
from esrl.a2c.policy import Policy
from esrl.a2c.trainer import ALGO, build_agent, plot_curve
from esrl.deeprl.env_batch import make_env_batch, play_games
from esrl.deeprl.policy import BatchedActor
from esrl.device import playing_device
from esrl.envs.atari import AtariProtocol, game_name
from esrl.errors import UserError
from esrl.runs import RunDir, load_torch_state, save_torch_state
from esrl.runs.loop import plot_saved


class SavedA2CPolicy(BatchedActor):
    """An A2C run's policy: samples from pi(a|s) with its own seeded generator, or
    (`deterministic`) plays the most probable action."""

    def __init__(self, config: A2CConfig, policy: Policy, obs_shape: tuple[int, ...]):
        super().__init__(obs_shape)
        self.config, self.policy = config, policy

    @torch.no_grad()
    def act_batch(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        if deterministic:
            return self.policy.greedy(obs)
        return self.policy.act(obs)["actions"]


def load_policy(run_dir: Path | str, seed: int = 0) -> SavedA2CPolicy:
    config, policy = load_agent(run_dir, seed)
    return SavedA2CPolicy(config, policy, policy.model.obs_shape)


def load_agent(run_dir: Path | str, seed: int = 0) -> tuple[A2CConfig, Policy]:
    """The run's config and its latest policy, sampling with `seed`."""
    run = RunDir.open(run_dir)
    config = run.read_config(ALGO, A2CConfig)
    config = replace(config, device=playing_device(config.device))
    state = load_torch_state(run.agent_path)
    env = make_env_batch(config.env, 1, training=False, frame_size=config.frame_size)
    env.close()
    model, _, _ = build_agent(config, env)
    try:
        model.load_state_dict(state["model"])
    except (KeyError, RuntimeError) as exc:
        raise UserError(f"{run.agent_path} does not match {run.config_path} ({exc})") from None
    return config, Policy(model, seed=seed)


def export_weights(run: RunDir, out: RunDir) -> None:
    """The actor-critic's weights alone."""
    model = load_torch_state(run.agent_path, ("model",))["model"]
    save_torch_state(out.agent_path, {"model": model})


def evaluate_run(
    run_dir: Path | str,
    episodes: int,
    seed: int = 0,
    video: str | None = None,
    log: Callable[[str], None] = print,
    protocol: AtariProtocol | None = None,
    deterministic: bool = False,
) -> np.ndarray:
    """Raw scores of `episodes` whole games played by the saved policy (sampled actions, as
    in training, or the most probable with `deterministic`); optionally an mp4 of one more
    game."""
    saved = load_policy(run_dir, seed)
    config = saved.config

    def act(obs: np.ndarray) -> np.ndarray:
        return saved.act_batch(obs, deterministic)

    if game_name(config.env):
        protocol = protocol or AtariProtocol()
        log(f"protocol: {protocol}")
    scores = play_games(config.env, act, episodes, seed, config.frame_size, protocol=protocol)
    if video:
        from esrl.envs.recording import record_game

        score, frames = record_game(
            config.env,
            lambda obs: act(obs[None])[0],
            video,
            seed,
            frame_size=config.frame_size,
            channels_last=True,
            protocol=protocol,
        )
        log(f"video: {video} ({frames} frames, score {score:.1f})")
    return scores


def plot_run(run_dir: Path | str) -> Path:
    return plot_saved(run_dir, ALGO, A2CConfig, plot_curve)
