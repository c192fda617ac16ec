"""First-order optimizers as pure functions of explicit state.

They minimise: pass the gradient of a loss, get back the step to add to the
parameters. The ES strategy passes minus its ascent direction plus weight decay,
exactly as the OpenAI starter does.
"""

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class OptimizerState:
    """Moments live here so that a checkpoint can hold them and resume exactly."""

    t: int
    m: np.ndarray
    v: np.ndarray  # unused (size 0) for SGD


@dataclass(frozen=True)
class Adam:
    learning_rate: float
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def init(self, num_params: int) -> OptimizerState:
        zeros = np.zeros(num_params, dtype=np.float32)
        return OptimizerState(t=0, m=zeros, v=zeros.copy())

    def step(self, state: OptimizerState, grad: np.ndarray) -> tuple[np.ndarray, OptimizerState]:
        t = state.t + 1
        m = self.beta1 * state.m + (1 - self.beta1) * grad
        v = self.beta2 * state.v + (1 - self.beta2) * (grad * grad)
        a = self.learning_rate * np.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        delta = (-a * m / (np.sqrt(v) + self.epsilon)).astype(np.float32)
        return delta, replace(state, t=t, m=m.astype(np.float32), v=v.astype(np.float32))


@dataclass(frozen=True)
class SGD:
    """SGD with (heavy-ball) momentum, the starter's `SGD` optimizer."""

    learning_rate: float
    momentum: float = 0.9

    def init(self, num_params: int) -> OptimizerState:
        return OptimizerState(
            t=0, m=np.zeros(num_params, dtype=np.float32), v=np.zeros(0, np.float32)
        )

    def step(self, state: OptimizerState, grad: np.ndarray) -> tuple[np.ndarray, OptimizerState]:
        m = (self.momentum * state.m + (1.0 - self.momentum) * grad).astype(np.float32)
        delta = (-self.learning_rate * m).astype(np.float32)
        return delta, replace(state, t=state.t + 1, m=m)


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9) -> Adam | SGD:
    if name == "adam":
        return Adam(learning_rate)
    if name == "sgd":
        return SGD(learning_rate, momentum)
    raise ValueError(f"unknown optimizer {name!r} (choose adam or sgd)")
