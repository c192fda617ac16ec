"""Use a finished (or running) ES run from its directory alone: params, policy, eval, plot."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from esrl.envs.atari import AtariProtocol, game_name, play_atari_games
from esrl.es.config import ESConfig
from esrl.es.evaluation import FINAL_STREAM, Evaluator, build_policy, gather, plan_mean_evaluation
from esrl.es.observation_stats import ObservationStats
from esrl.es.policies import MLPPolicy
from esrl.es.trainer import ALGO, plot_curve
from esrl.runs import RunDir, load_checkpoint
from esrl.runs.loop import plot_saved


class SavedPolicy:
    """The mean policy of a run, ready to act on raw observations from its env."""

    def __init__(
        self,
        config: ESConfig,
        policy: MLPPolicy,
        params: np.ndarray,
        obs_norm: tuple[np.ndarray, np.ndarray] | None,
    ):
        self.config = config
        self.policy = policy
        self.params = params
        self.obs_norm = obs_norm
        mean, inv_std = obs_norm if obs_norm is not None else (None, None)
        self._prepared = policy.prepare(params, mean, inv_std)

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """An action for one observation, or a batch of actions for a batch of them (the
        mean policy is deterministic: `deterministic` changes nothing)."""
        single_shape = getattr(self.policy, "obs_shape", (getattr(self.policy, "obs_dim", 0),))
        obs = np.asarray(obs)
        if obs.shape == tuple(single_shape):
            return self.policy.act(self._prepared, obs[None])[0]
        prepared = self.policy.prepare(
            np.repeat(self.params[None], len(obs), axis=0), *(self.obs_norm or (None, None))
        )
        return self.policy.act(prepared, obs)


def _load(run_dir: Path | str) -> tuple[ESConfig, dict[str, np.ndarray], dict]:
    run = RunDir.open(run_dir)
    config = run.read_config(ALGO, ESConfig)
    arrays, meta = load_checkpoint(run.checkpoint_path)
    return config, arrays, meta


def export_weights(run: RunDir, out: RunDir) -> None:
    """The checkpoint is small already (parameters, Adam moments, observation statistics)."""
    import shutil

    shutil.copy2(run.checkpoint_path, out.checkpoint_path)


def load_params(run_dir: Path | str) -> np.ndarray:
    """The saved mean parameters as a flat float32 array."""
    return _load(run_dir)[1]["params"]


def load_policy(run_dir: Path | str, seed: int = 0) -> SavedPolicy:
    """The run's mean policy (deterministic: `seed`, for the shared signature, is unused)."""
    config, arrays, meta = _load(run_dir)
    obs_norm = None
    if config.obs_norm:
        stats = ObservationStats(arrays["obs_sum"], arrays["obs_sumsq"], meta["obs_count"])
        obs_norm = stats.normalizer()
    return SavedPolicy(config, build_policy(config), arrays["params"], obs_norm)


def evaluate_run(
    run_dir: Path | str,
    episodes: int,
    seed: int = 0,
    video: str | None = None,
    log: Callable[[str], None] = print,
    protocol: AtariProtocol | None = None,
    deterministic: bool = False,
) -> np.ndarray:
    """Returns of `episodes` episodes of the saved mean policy; optionally an mp4 of one.

    Atari: whole games under `protocol` (default: sticky actions 0.25, ALE's no-op starts).
    Other envs: the episodes that gymnasium.make(id).reset(seed=...) gives, whatever
    training capped."""
    saved = load_policy(run_dir)
    config = replace(saved.config, seed=seed, episode_steps=0)
    if game_name(config.env):
        protocol = protocol or AtariProtocol()
        log(f"protocol: {protocol}")
        returns = play_atari_games(
            config.env,
            saved.act,
            episodes,
            seed,
            protocol,
            size=config.frame_size,
            frameskip=config.frame_skip,
        )
    else:
        evaluator = Evaluator(replace(config, engine="gymnasium"), noise=None)
        tasks = plan_mean_evaluation(0, episodes, episodes, FINAL_STREAM)
        try:
            results = [evaluator.evaluate(saved.params, saved.obs_norm, task) for task in tasks]
        finally:
            evaluator.close()
        returns = gather(tasks, results).eval_returns
    if video:
        from esrl.envs.recording import record_game

        ret, frames = record_game(
            config.env,
            saved.act,
            video,
            seed,
            frame_size=config.frame_size,
            frame_skip=config.frame_skip,
            protocol=protocol,
        )
        log(f"video: {video} ({frames} frames, score {ret:.1f})")
    return returns


def plot_run(run_dir: Path | str) -> Path:
    return plot_saved(run_dir, ALGO, ESConfig, plot_curve)
