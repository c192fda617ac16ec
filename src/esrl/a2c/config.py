"""Everything that defines an A2C run; defaults are the A2C notebook's (and SB3's Atari zoo)."""

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


def preset_for(env: str) -> dict:
    """The tuned fields for `env`'s family (CartPole, Acrobot); Atari and other envs get
    the notebook's settings (the defaults)."""
    return dict(PRESETS.get(env.split("-v")[0], {}))


# Classic control: a budget that fits the task (the learning rate decays to 0 there).
# CartPole: seed 0 reaches a 100-game mean of 475 within 100k steps.
CARTPOLE_PRESET = dict(
    steps=100_000,
    nenvs=8,
    rollout_length=16,
    learning_rate=4e-3,
    entropy_coef=0.0,
    value_loss_coef=0.5,
    threads=1,
)
# Acrobot: the notebook's loop on 16 envs with CartPole's value weight; without an
# entropy bonus the policy collapses before it swings up.
ACROBOT_PRESET = dict(steps=200_000, nenvs=16, value_loss_coef=0.5, threads=1)
PRESETS = {"CartPole": CARTPOLE_PRESET, "Acrobot": ACROBOT_PRESET}


@apply_presets(lambda env: preset_for(env))
@dataclass
class A2CConfig:
    RENAMED: ClassVar[dict[str, str]] = {"nsteps": "rollout_length"}

    env: str = opt("SpaceInvaders", "Atari game (any id style) or gymnasium env id")
    seed: int = opt(0, "seed for the network, action sampling and games")
    nenvs: int = opt(8, "environments played side by side")
    rollout_length: int = opt(5, "steps each env plays per update (T; the notebook's nsteps)")
    steps: int = opt(
        10_000_000,
        "interactions with all envs to train for (10M = 10,000,000); the learning rate "
        "reaches 0 there, so raising it on --resume stretches the rest of the decay",
        resumable=True,
    )
    gamma: float = opt(0.99, "discount")
    learning_rate: float = opt(7e-4, "RMSProp step size at the start, decayed linearly to 0")
    rms_alpha: float = opt(0.99, "RMSProp smoothing constant")
    rms_eps: float = opt(1e-5, "RMSProp epsilon")
    rmsprop: str = opt(
        "torch",
        "RMSProp semantics: torch (eps added to the root of the mean square, which starts "
        "at 0; SB3's A2C default) or tf (eps inside the root, mean square from 1; "
        "TensorFlow 1, OpenAI baselines, SB3's tuned Atari A2C)",
        choices=("torch", "tf"),
    )
    value_loss_coef: float = opt(0.25, "weight of the value loss")
    entropy_coef: float = opt(0.01, "weight of the entropy bonus")
    max_grad_norm: float = opt(0.5, "gradient norm clip")
    frame_size: int = opt(84, "Atari: frames are resized to SIZE x SIZE grayscale")
    hidden: tuple[int, ...] = opt((64, 64), "vector envs: hidden layer sizes of the tanh MLP")
    scale_obs: bool = opt(
        False, "vector envs: map observations from the env's finite bounds to [-1, 1]"
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
        "take each update on a worker thread (--threads of its own) while the envs play "
        "the next partial trajectory on one thread, on the weights from before that "
        "update; the policy loss is importance-weighted for it (not SB3's schedule)",
    )
    pipeline_ratio: str = opt(
        "truncated",
        "with --pipeline, weight the policy loss by IMPALA's min(pi/mu, 1) held constant "
        "(truncated) or by pi/mu (full); in line pi = mu and neither weight applies",
        choices=("truncated", "full"),
    )
    device: str = opt(
        "auto",
        "where the networks run: auto (CUDA where torch sees a GPU, else the CPU), cpu, cuda",
        choices=("auto", "cpu", "cuda"),
        resumable=True,
    )
    log_every: int = opt(20_000, "env steps between metrics records", resumable=True)
    checkpoint_seconds: float = opt(60.0, "seconds between checkpoints", resumable=True)
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
                "steps",
                "learning_rate",
                "rms_eps",
                "frame_size",
                "log_every",
                "checkpoint_seconds",
            ),
            nonnegative=(
                "seed",
                "value_loss_coef",
                "entropy_coef",
                "max_grad_norm",
                "threads",
                "max_seconds",
            ),
            unit=("gamma", "rms_alpha"),
            hidden="hidden",
        )
