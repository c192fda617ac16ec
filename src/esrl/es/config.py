"""Everything that defines an ES run, with defaults tuned for CartPole-v1."""

from dataclasses import dataclass

from esrl.configs import opt
from esrl.errors import UserError
from esrl.es.noise import DEFAULT_SIZE


@dataclass
class ESConfig:
    env: str = opt("CartPole-v1", "gymnasium environment id (1-D Box observations)")
    seed: int = opt(0, "seed for parameters, noise indices and episodes")
    # strategy
    population: int = opt(64, "perturbed policies per generation (even: antithetic pairs)")
    sigma: float = opt(0.1, "noise standard deviation")
    learning_rate: float = opt(0.1, "optimizer step size")
    optimizer: str = opt("adam", "optimizer", choices=("adam", "sgd"))
    momentum: float = opt(0.9, "momentum for sgd")
    l2_coeff: float = opt(0.005, "L2 weight decay coefficient")
    # policy and episodes
    hidden: tuple[int, ...] = opt((16,), "hidden layer sizes of the tanh MLP, e.g. 32,32")
    obs_norm: bool = opt(False, "normalise observations with running mean/std (clip +-5)")
    action_noise: float = opt(0.0, "std of Gaussian noise added to actions (logits if discrete)")
    episode_steps: int = opt(0, "cap on steps per episode (0: the env's own limit)")
    # layout of a generation: fixed by config, so results never depend on worker count
    pairs_per_task: int = opt(32, "antithetic pairs evaluated together in one vector env")
    eval_episodes: int = opt(8, "episodes of the mean policy per generation, played alongside")
    noise_size: int = opt(DEFAULT_SIZE, "floats in the shared noise table")
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
        "seconds to wait for the Ray cluster to answer, or for a worker to start",
        resumable=True,
    )
    generations: int = opt(200, "stop after this many generations", resumable=True)
    max_env_steps: int = opt(0, "stop after this many env steps (0: no limit)", resumable=True)
    max_seconds: float = opt(
        0.0, "stop after this much training wall time (0: no limit)", resumable=True
    )
    target_return: float | None = opt(
        None,
        "stop once the mean policy averages this over --target-episodes "
        "(default: the env's reward threshold; inf disables)",
        resumable=True,
    )
    target_episodes: int = opt(
        100, "episodes that confirm the target and the final evaluation", resumable=True
    )

    def validate(self) -> None:
        """Raise UserError for values no run can use; checked before anything is written."""
        positive = {
            "population": self.population,
            "sigma": self.sigma,
            "learning_rate": self.learning_rate,
            "pairs_per_task": self.pairs_per_task,
            "noise_size": self.noise_size,
            "generations": self.generations,
            "target_episodes": self.target_episodes,
        }
        for name, value in positive.items():
            if not value > 0:
                raise UserError(f"--{name.replace('_', '-')} must be positive, got {value}")
        if self.population % 2:
            raise UserError(f"--population must be even (antithetic pairs), got {self.population}")
        nonnegative = {
            "seed": self.seed,
            "l2_coeff": self.l2_coeff,
            "action_noise": self.action_noise,
            "episode_steps": self.episode_steps,
            "eval_episodes": self.eval_episodes,
            "workers": self.workers,
            "max_env_steps": self.max_env_steps,
            "max_seconds": self.max_seconds,
        }
        if not self.ray_timeout > 0:
            raise UserError(f"--ray-timeout must be positive, got {self.ray_timeout}")
        for name, value in nonnegative.items():
            if value < 0:
                raise UserError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
        if not 0 <= self.momentum < 1:
            raise UserError(f"--momentum must be in [0, 1), got {self.momentum}")
        if any(size <= 0 for size in self.hidden):
            raise UserError(f"--hidden needs positive layer sizes, got {self.hidden}")

    @property
    def pairs(self) -> int:
        return self.population // 2
