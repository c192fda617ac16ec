"""Everything that defines an ES run, with defaults tuned for CartPole-v1."""

import math
from dataclasses import dataclass
from typing import ClassVar

from esrl.configs import (
    apply_presets,
    check_at_most,
    check_device,
    check_fields,
    check_per_core,
    check_ranges,
    opt,
)
from esrl.errors import UserError

NOISE_SIZE = 2**25  # 32M float32 = 128 MiB; fine on a 24 GiB laptop, 25x the Pong CNN
MAX_FRAME_SKIP = 100  # 1.7 s of Atari play per action; ALE crashes far beyond


@apply_presets(lambda env: preset_for(env))
@dataclass
class ESConfig:
    RENAMED: ClassVar[dict[str, str]] = {"max_env_steps": "steps"}

    """An ES run. `ESConfig(env=X, ...)` starts from X's preset (see PRESETS) and puts
    the fields given on top, exactly as `esrl train es --env X ...` does."""

    env: str = opt("CartPole-v1", "gymnasium environment id (1-D Box observations)")
    seed: int = opt(0, "seed for parameters, noise indices and episodes")
    # strategy
    population: int = opt(64, "perturbed policies per generation (even: antithetic pairs)")
    sigma: float = opt(0.1, "noise standard deviation")
    learning_rate: float = opt(0.1, "optimizer step size")
    optimizer: str = opt("adam", "optimizer", choices=("adam", "sgd"))
    momentum: float = opt(0.9, "momentum for sgd")
    l2_coeff: float = opt(0.005, "L2 weight decay coefficient")
    top_directions: int = opt(
        0, "ARS: update from the B pairs with the best max(F+, F-) only (0: every pair)"
    )
    fitness: str = opt(
        "ranks",
        "how returns weigh directions: centered ranks (ES), or returns divided by their "
        "standard deviation (std, ARS)",
        choices=("ranks", "std"),
    )
    # policy and episodes
    hidden: tuple[int, ...] = opt((16,), "hidden layer sizes of the tanh MLP, e.g. 32,32")
    network: str = opt(
        "auto",
        "policy network: mlp for vector observations; cnn or dense for Atari frames "
        "(auto: mlp, or cnn for Atari)",
        choices=("auto", "mlp", "cnn", "dense"),
    )
    frame_size: int = opt(42, "Atari: frames are resized to SIZE x SIZE grayscale")
    frame_skip: int = opt(4, "Atari: emulator frames per action (max-pooled over the last two)")
    sticky_actions: float = opt(
        0.0,
        "Atari training: probability that a member repeats its previous action at a step, "
        "drawn per step from the episode's generator (evaluation uses ALE's per-frame "
        "sticky actions)",
    )
    obs_norm: bool = opt(False, "normalise observations with running mean/std (clip +-5)")
    action_noise: float = opt(0.0, "std of Gaussian noise added to actions (logits if discrete)")
    episode_steps: int = opt(0, "cap on steps per episode (0: the env's own limit)")
    length_bonus: float = opt(
        0.0,
        "added per episode step to returns for ranking only (positive: breaks ties in "
        "favour of longer games; negative: removes a survival bonus, as ARS's shift); "
        "logged returns stay raw",
    )
    engine: str = opt(
        "auto",
        "what steps vector envs: envpool (C++ threads), gymnasium, or auto (envpool where "
        "it has the env, gymnasium for CartPole and the rest)",
        choices=("auto", "envpool", "gymnasium"),
    )
    pairs_per_task: int = opt(
        32,
        "Atari: at most this many antithetic pairs play side by side in one task (a "
        "speed setting: every generation is split to fit the workers, with the same "
        "result for any split)",
        resumable=True,
    )
    device: str = opt(
        "cpu",
        "where the Atari network's batched forward pass runs: cpu, cuda, or auto (a GPU "
        "where torch sees one). On the CPU every backend, worker count and split gives "
        "the same parameters bit for bit; GPU kernels promise no such thing. MLPs run "
        "in numpy on the CPU",
        choices=("auto", "cpu", "cuda"),
        resumable=True,
    )
    eval_episodes: int = opt(8, "episodes of the mean policy per generation, played alongside")
    noise_size: int = opt(NOISE_SIZE, "floats in the shared noise table")
    # where and how long it runs (may change on --resume)
    backend: str = opt(
        "serial", "where evaluations run", choices=("serial", "process", "ray"), resumable=True
    )
    workers: int = opt(
        0,
        "worker processes (process: 0 = one per core; ray: 0 = one per CPU of the cluster)",
        resumable=True,
    )
    ray_address: str = opt(
        "",
        "Ray cluster to join: HOST:PORT of `ray start --head`, or auto "
        "(empty: start a local Ray instance)",
        resumable=True,
    )
    ray_timeout: float = opt(
        30.0,
        "seconds to wait for the Ray cluster to answer when joining it",
        resumable=True,
    )
    generations: int = opt(200, "stop after this many generations", resumable=True)
    steps: int = opt(0, "stop after this many env steps, e.g. 2M (0: no limit)", resumable=True)
    max_seconds: float = opt(
        0.0, "stop after this much training wall time (0: no limit)", resumable=True
    )
    target_return: float | None = opt(
        None,
        "stop once the mean policy averages this over --target-episodes "
        "(default: the env's reward threshold; inf disables)",
        resumable=True,
        infinite=True,
    )
    target_episodes: int = opt(
        100, "episodes that confirm the target and the final evaluation", resumable=True
    )

    def validate(self) -> None:
        """Raise UserError for values no run can use; checked before anything is written."""
        check_fields(self)
        check_at_most("--frame-skip", self.frame_skip, MAX_FRAME_SKIP, "emulator frames per action")
        if self.backend == "process":
            check_per_core("--workers", self.workers)
        check_ranges(
            self,
            positive=(
                "population",
                "sigma",
                "learning_rate",
                "pairs_per_task",
                "noise_size",
                "frame_size",
                "frame_skip",
                "generations",
                "target_episodes",
                "ray_timeout",
            ),
            nonnegative=(
                "seed",
                "l2_coeff",
                "top_directions",
                "action_noise",
                "episode_steps",
                "eval_episodes",
                "workers",
                "steps",
                "max_seconds",
            ),
            unit=("sticky_actions",),
            hidden="hidden",
        )
        if self.population % 2:
            raise UserError(f"--population must be even (antithetic pairs), got {self.population}")
        if not math.isfinite(self.length_bonus):
            raise UserError(f"--length-bonus must be finite, got {self.length_bonus}")
        if not 0 <= self.momentum < 1:
            raise UserError(f"--momentum must be in [0, 1), got {self.momentum}")
        if self.sticky_actions >= 1:
            raise UserError(f"--sticky-actions must be below 1, got {self.sticky_actions}")
        if self.sticky_actions and not _is_atari(self.env):
            raise UserError(f"--sticky-actions is for Atari games; {self.env} is not one")
        if self.device == "cuda" and not _is_atari(self.env):
            raise UserError(f"--device cuda is for Atari networks; {self.env} uses numpy")
        check_device(self.device)
        if self.top_directions > self.pairs:
            raise UserError(
                f"--top-directions {self.top_directions} exceeds the {self.pairs} pairs of "
                f"--population {self.population}"
            )

    @property
    def pairs(self) -> int:
        return self.population // 2


# Tuned defaults per env family, applied by `ESConfig(env=...)` and so by the
# CLI's --env, under any field given explicitly. Pong: the ES paper's learning rate and
# L2 (Salimans et al. 2017, Atari), but sigma 0.1: at 0.02 nearly every member
# plays the same game; a population that fits a laptop. Frame skip 8: one forward
# pass per 8 emulator frames, so the policy costs half as much CPU against
# emulation as at frame skip 4. Training plays 200-step
# windows (1,600 frames, about 11 lost points for a paddle that never returns
# the ball), so points lost per window rank members and generations come faster
# than full games would; `esrl eval` and the benchmark always play full games.
# Ranking favours longer games at equal score (1e-4 per step is under one point).
ATARI_PRESET = dict(
    population=64,
    sigma=0.1,
    learning_rate=0.02,
    length_bonus=1e-4,
    l2_coeff=0.005,
    pairs_per_task=16,
    eval_episodes=2,
    network="cnn",
    frame_size=42,
    frame_skip=8,
    episode_steps=200,
    target_episodes=10,
    generations=100_000,
    max_seconds=3600.0,
)
PRESETS = {"pong": ATARI_PRESET}

# MuJoCo locomotion (gymnasium's MuJoCo ids, any version): the ES paper's tanh
# MLP with observation normalisation and small action noise; the targets are the
# thresholds that the ARS paper (Mania et al. 2018) took from the ES and TRPO
# comparisons. Where an env pays a reward for every step alive, ranking subtracts
# it again (ARS's shift): otherwise standing still is a strong local optimum.
MUJOCO_PRESET = dict(
    hidden=(64, 64),
    obs_norm=True,
    action_noise=0.01,
    population=64,
    sigma=0.02,
    learning_rate=0.01,
    l2_coeff=0.005,
    eval_episodes=4,
    target_episodes=10,
    generations=100_000,
    max_seconds=1800.0,
)
# Ant: ARS's V2-t (Mania et al. 2018) on top: a linear policy, 60 directions of which
# the best 20 update, returns scaled by their standard deviation and plain SGD, with
# ARS's Ant step size 0.015 and noise 0.025 (our gradient divides by 2 sigma more than
# ARS's, hence the learning rate 0.015 * 2 * 0.025). The ES preset climbed slower there.
ARS_PRESET = dict(
    hidden=(),
    population=120,
    top_directions=20,
    fitness="std",
    optimizer="sgd",
    momentum=0.0,
    learning_rate=0.00075,
    sigma=0.025,
    l2_coeff=0.0,
    action_noise=0.0,
    max_seconds=3600.0,
)
FAMILY_PRESETS = {"Ant": ARS_PRESET}
SURVIVAL_BONUS = {"Hopper": 1.0, "Walker2d": 1.0, "Ant": 1.0, "Humanoid": 5.0}
MUJOCO_TARGETS = {
    "Hopper": 3120.0,
    "HalfCheetah": 3430.0,
    "Walker2d": 4390.0,
    "Ant": 3580.0,
    "Humanoid": 6000.0,
}


def _is_atari(env: str) -> bool:
    from esrl.envs.atari import game_name

    return game_name(env) is not None


def mujoco_family(env: str) -> str | None:
    """'HalfCheetah' for 'HalfCheetah-v5' (any gymnasium MuJoCo id), else None."""
    from esrl.envs.vector import is_mujoco

    return env.split("-v")[0] if is_mujoco(env) else None


def preset_for(env: str) -> dict:
    """The tuned fields for `env`'s family; empty for envs without a preset."""
    family = mujoco_family(env)
    if family is not None:
        preset = {**MUJOCO_PRESET, **FAMILY_PRESETS.get(family, {})}
        if family in MUJOCO_TARGETS:
            preset["target_return"] = MUJOCO_TARGETS[family]
        if family in SURVIVAL_BONUS:
            preset["length_bonus"] = -SURVIVAL_BONUS[family]
        return preset
    from esrl.envs.atari import game_name

    game = game_name(env)
    if game is None:
        return {}
    return dict(PRESETS.get(game, ATARI_PRESET))
