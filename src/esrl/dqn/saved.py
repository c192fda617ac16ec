"""Use a DQN run from its directory alone: load the agent, play and record games, plot."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from esrl.deeprl.policy import BatchedActor
from esrl.device import playing_device
from esrl.dqn.agent import DQNAgent
from esrl.dqn.config import DQNConfig
from esrl.dqn.trainer import ALGO, build_agent, evaluate_agent, make_env, plot_curve
from esrl.envs.atari import AtariProtocol, game_name
from esrl.errors import UserError
from esrl.runs import RunDir, load_torch_state, save_torch_state
from esrl.runs.loop import plot_saved


class SavedDQNPolicy(BatchedActor):
    """A DQN run's Q-network: greedy (`deterministic`), or epsilon-greedy at the run's
    evaluation epsilon with its own seeded generator."""

    def __init__(self, config: DQNConfig, agent: DQNAgent, obs_shape: tuple[int, ...]):
        super().__init__(obs_shape)
        self.config, self.agent = config, agent

    def act_batch(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        self.agent.epsilon_override = 0.0 if deterministic else self.config.eval_epsilon
        try:
            return self.agent.act(obs)["actions"]
        finally:
            self.agent.epsilon_override = None


def load_policy(run_dir: Path | str, seed: int = 0) -> SavedDQNPolicy:
    config, agent = load_agent(run_dir, seed)
    return SavedDQNPolicy(config, agent, agent.obs_shape)


def load_agent(run_dir: Path | str, seed: int = 0) -> tuple[DQNConfig, DQNAgent]:
    run = RunDir.open(run_dir)
    config = run.read_config(ALGO, DQNConfig)
    config = replace(config, device=playing_device(config.device))
    state = load_torch_state(run.agent_path)
    env = make_env(config, 1, training=False)
    env.close()
    agent = build_agent(config, env)
    try:  # the online network: a pipelined run saved acting one step behind it
        agent.online.load_state_dict(state["agent"]["online"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise UserError(f"{run.agent_path} does not match {run.config_path} ({exc})") from None
    agent.sync_acting()
    agent.rng = np.random.default_rng(seed)
    return config, agent


def export_weights(run: RunDir, out: RunDir) -> None:
    """The online Q-network alone: no target network, optimizer or replay."""
    state = load_torch_state(run.agent_path, ("agent",))
    save_torch_state(out.agent_path, {"agent": {"online": state["agent"]["online"]}})


def evaluate_run(
    run_dir: Path | str,
    episodes: int,
    seed: int = 0,
    video: str | None = None,
    log: Callable[[str], None] = print,
    protocol: AtariProtocol | None = None,
    deterministic: bool = False,
) -> np.ndarray:
    """Raw scores of `episodes` whole games at the run's `eval_epsilon` (greedy with
    `deterministic`); optionally an mp4."""
    config, agent = load_agent(run_dir, seed)
    if game_name(config.env):
        protocol = protocol or AtariProtocol()
        log(f"protocol: {protocol}")
    if deterministic:
        config = replace(config, eval_epsilon=0.0)
    scores = evaluate_agent(agent, config, episodes, seed, protocol)
    if video:
        from esrl.deeprl.env_batch import FRAMES
        from esrl.envs.recording import record_game

        agent.epsilon_override = config.eval_epsilon
        frames = FRAMES[config.frames]
        score, count = record_game(
            config.env,
            lambda obs: agent.act(obs[None])["actions"][0],
            video,
            seed,
            frame_size=frames["size"],
            crop_bottom=frames.get("crop_bottom", 0),
            channels_last=True,
            protocol=protocol,
        )
        log(f"video: {video} ({count} frames, score {score:.1f})")
    return scores


def plot_run(run_dir: Path | str) -> Path:
    return plot_saved(run_dir, ALGO, DQNConfig, plot_curve)
