"""Everything that defines a DQN run; defaults from the course's DQN notebook (MsPacman)."""

from dataclasses import dataclass
from typing import ClassVar

from esrl.configs import (
    MAX_ENVS,
    apply_presets,
    check_at_most,
    check_device,
    check_fields,
    check_per_core,
    check_ranges,
    opt,
)
from esrl.errors import UserError


def preset_for(env: str) -> dict:
    """The tuned fields for `env`'s family (CartPole, Acrobot, MountainCar); Atari and
    other envs get the notebook's settings (the defaults)."""
    return dict(PRESETS.get(env.split("-v")[0], {}))


# CartPole: double DQN, 3-step targets, one gradient step per env step, soft target,
# epsilon 1 to 0.02 over 10k steps.
CARTPOLE_PRESET = dict(
    steps=100_000,
    nenvs=4,
    rollout_length=16,
    updates_per_iteration=64,
    batch_size=64,
    learning_starts=1000,
    hidden=(256, 256),
    n_step_return=3,
    reward_scale=1.0,
    double_dqn=True,
    learning_rate=1e-3,
    target_tau=0.005,
    epsilon_start=1.0,
    epsilon_end=0.02,
    epsilon_decay=156.0,
    epsilon_schedule="linear",
    eval_every=100,
    eval_games=10,
    threads=1,
)
# Acrobot: CartPole's loop with RL Zoo's Acrobot settings (Adam 6.3e-4, batch 128,
# 50k replay, epsilon 1 to 0.1 over 12k steps).
ACROBOT_PRESET = dict(
    CARTPOLE_PRESET,
    batch_size=128,
    replay_size=50_000,
    learning_rate=6.3e-4,
    epsilon_end=0.1,
    epsilon_decay=187.5,
)
# MountainCar: RL Zoo's settings (Adam 4e-3, gamma 0.98, 8 gradient steps per 16 env
# steps, 10k replay, hard target update every 300 gradient steps, epsilon 1 to 0.07
# over 24k steps): a large step size and a short memory move the car off the valley
# floor before epsilon is gone.
MOUNTAINCAR_PRESET = dict(
    CARTPOLE_PRESET,
    steps=120_000,
    nenvs=1,
    rollout_length=16,
    updates_per_iteration=8,
    batch_size=128,
    replay_size=10_000,
    n_step_return=1,
    double_dqn=False,
    gamma=0.98,
    learning_rate=4e-3,
    target_every=300,
    epsilon_end=0.07,
    epsilon_decay=1500.0,
    eval_every=500,
)
PRESETS = {
    "CartPole": CARTPOLE_PRESET,
    "Acrobot": ACROBOT_PRESET,
    "MountainCar": MOUNTAINCAR_PRESET,
}


@apply_presets(lambda env: preset_for(env))
@dataclass
class DQNConfig:
    RENAMED: ClassVar[dict[str, str]] = {"seq_length": "rollout_length", "n_steps": "n_step_return"}

    env: str = opt("MsPacman", "Atari game (any id style) or gymnasium env id")
    seed: int = opt(0, "seed for the network, exploration, replay sampling and games")
    frames: str = opt(
        "notebook",
        "Atari frames: notebook (105x80, score bar cropped) or nature (84x84)",
        choices=("notebook", "nature"),
    )
    network: str = opt(
        "auto",
        "Q-network body: notebook (4 ELU convs, dense 512 tanh), nature (Nature DQN), "
        "mlp (vector observations); auto picks notebook or mlp",
        choices=("auto", "notebook", "nature", "mlp"),
    )
    hidden: tuple[int, ...] = opt((64, 64), "mlp: hidden layer sizes (ReLU)")
    scale_obs: bool = opt(False, "mlp: map observations from the env's finite bounds to [-1, 1]")
    # the pool and the replay memory
    nenvs: int = opt(10, "games played side by side (N_AGENTS)")
    rollout_length: int = opt(10, "steps each game plays per iteration (the notebook's SEQ_LENGTH)")
    replay_size: int = opt(100_000, "transitions kept in the replay memory")
    learning_starts: int = opt(5_000, "transitions in the replay memory before learning")
    batch_size: int = opt(100, "windows sampled per gradient step")
    updates_per_iteration: int = opt(1, "gradient steps per iteration of the pool")
    # the loss
    n_step_return: int = opt(10, "n of the n-step Q-learning target")
    gamma: float = opt(0.99, "discount")
    reward_scale: float = opt(0.1, "rewards are multiplied by this for learning (notebook: /10)")
    clip_rewards: bool = opt(False, "clip rewards to their sign (before scaling)")
    loss: str = opt("huber", "TD loss", choices=("huber", "mse"))
    double_dqn: bool = opt(False, "pick the bootstrap action with the online network")
    learning_rate: float = opt(1e-4, "Adam step size")
    max_grad_norm: float = opt(10.0, "gradient norm clip (0: none)")
    target_tau: float = opt(0.01, "soft target update: target = tau * online + (1 - tau) * target")
    target_every: int = opt(0, "hard target update every K gradient steps instead (0: soft)")
    # exploration: epsilon = end + (start - end) * exp(-iteration / decay), as in the notebook
    epsilon_start: float = opt(0.46, "epsilon at iteration 0")
    epsilon_end: float = opt(0.01, "epsilon it decays to")
    epsilon_decay: float = opt(20_000.0, "iterations of the epsilon decay")
    epsilon_schedule: str = opt(
        "exp",
        "exp: the notebook's exponential; linear: reaches the end at --epsilon-decay",
        choices=("exp", "linear"),
    )
    # evaluation, logging, stopping
    eval_every: int = opt(500, "iterations between evaluations (0: none)", resumable=True)
    eval_games: int = opt(5, "whole games per evaluation", resumable=True)
    eval_epsilon: float = opt(0.01, "epsilon while evaluating", resumable=True)
    save_replay: bool = opt(
        False, "also checkpoint the replay memory (replay.npz; large)", resumable=True
    )
    threads: int = opt(0, "torch threads (0: torch's default)", resumable=True)
    overlap: bool = opt(
        False,
        "Atari: play the envs in two halves, one emulating while the policy acts on the "
        "other (often slower than one batch where torch's idle threads sleep)",
        resumable=True,
    )
    pipeline: bool = opt(
        False,
        "take each gradient step on a worker thread while the pool plays the next "
        "iteration, which then acts on the weights from before that step",
    )
    device: str = opt(
        "auto",
        "where the networks run: auto (CUDA where torch sees a GPU, else the CPU), cpu, cuda",
        choices=("auto", "cpu", "cuda"),
        resumable=True,
    )
    log_every: int = opt(10_000, "env steps between metrics records", resumable=True)
    checkpoint_seconds: float = opt(120.0, "seconds between checkpoints", resumable=True)
    steps: int = opt(10_000_000, "env steps (all games) to train for, e.g. 2M", resumable=True)
    max_seconds: float = opt(
        0.0, "stop after this much training wall time (0: no limit)", resumable=True
    )

    def validate(self) -> None:
        check_fields(self)
        check_at_most("--nenvs", self.nenvs, MAX_ENVS, "envs side by side")
        check_per_core("--threads", self.threads)
        check_device(self.device)
        check_ranges(
            self,
            positive=(
                "nenvs",
                "rollout_length",
                "replay_size",
                "batch_size",
                "updates_per_iteration",
                "n_step_return",
                "learning_rate",
                "epsilon_decay",
                "eval_games",
                "log_every",
                "checkpoint_seconds",
                "steps",
            ),
            nonnegative=(
                "seed",
                "learning_starts",
                "reward_scale",
                "max_grad_norm",
                "target_every",
                "eval_every",
                "threads",
                "max_seconds",
            ),
            unit=("gamma", "target_tau", "epsilon_start", "epsilon_end", "eval_epsilon"),
            hidden="hidden",
        )
        windows = self.replay_size // self.nenvs
        if windows < self.n_step_return + 4:
            raise UserError(
                f"--replay-size {self.replay_size} holds {windows} steps per game; "
                f"it needs at least --n-step-return + 4 = {self.n_step_return + 4}"
            )
