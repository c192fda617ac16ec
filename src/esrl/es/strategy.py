"""OpenAI-ES (Salimans et al. 2017) as pure math with explicit state.

`ask` turns (seed, generation) into noise-table indices, one per antithetic pair;
`tell` turns the returns of both members of every pair into the next state. No
environment, process or clock is involved, so the strategy is testable on its own
and every backend gets bitwise-identical parameters from the same returns.

Gradient convention: with antithetic pairs (theta + sigma*eps_i, theta - sigma*eps_i)
and shaped returns (F+_i, F-_i), we estimate

    g = 1 / (2 n sigma) * sum_i (F+_i - F-_i) * eps_i

which divides by sigma and by the 2n evaluations: with raw returns it is an
unbiased estimate of the gradient of E[F(theta + sigma*eps)]. The starter divides
by n only; with Adam the two differ only in how strongly L2 decay acts.
"""

from dataclasses import dataclass, replace

import numpy as np

from esrl.es.noise import NoiseTable
from esrl.es.optimizers import SGD, Adam, OptimizerState
from esrl.es.shaping import centered_ranks

WEIGHTED_SUM_BATCH = 256  # rows of noise gathered at a time when forming the gradient


@dataclass(frozen=True)
class ESState:
    params: np.ndarray  # float32, the mean of the search distribution
    optimizer: OptimizerState
    generation: int = 0


def generation_rng(seed: int, generation: int, *stream: int) -> np.random.Generator:
    """Every random number is derived from (seed, generation, ...), never process state."""
    return np.random.default_rng([seed, generation, *stream])


def antithetic_gradient(
    noise: NoiseTable, indices: np.ndarray, weights: np.ndarray, num_params: int, sigma: float
) -> np.ndarray:
    """sum_i weights_i * eps_i / (2 n sigma), with eps_i the noise slice at indices[i].

    einsum, not `weights @ rows`: multithreaded BLAS splits this reduction by thread
    count, so the bits of the result would depend on the machine's cores, and a
    Ray worker replaying the update would disagree with the driver.
    """
    grad = np.zeros(num_params, dtype=np.float32)
    for start in range(0, len(indices), WEIGHTED_SUM_BATCH):
        rows = noise.stack(indices[start : start + WEIGHTED_SUM_BATCH], num_params)
        batch = weights[start : start + WEIGHTED_SUM_BATCH].astype(np.float32)
        grad += np.einsum("i,ij->j", batch, rows)
    return grad / np.float32(2 * len(indices) * sigma)


def perturb(
    params: np.ndarray,
    noise: NoiseTable | None,
    indices: np.ndarray,
    signs: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """Rows theta + sign * sigma * eps_index; sign 0 gives the unperturbed mean."""
    if not signs.any():  # only the mean: no need for a noise table at all
        return np.repeat(params[None].astype(np.float32), len(signs), axis=0)
    rows = noise.stack(indices, params.size)
    return params + (np.float32(sigma) * signs.astype(np.float32))[:, None] * rows


@dataclass(frozen=True)
class OpenAIES:
    noise: NoiseTable
    num_params: int
    pairs: int
    sigma: float
    optimizer: Adam | SGD
    l2_coeff: float = 0.0
    seed: int = 0
    top_directions: int = 0  # ARS: only the best pairs by max(F+, F-) (0: every pair)
    fitness: str = "ranks"  # "ranks": centered ranks; "std": returns / their std (ARS)

    def init(self, params: np.ndarray) -> ESState:
        params = np.asarray(params, dtype=np.float32).copy()
        if params.shape != (self.num_params,):
            raise ValueError(f"expected {self.num_params} parameters, got shape {params.shape}")
        return ESState(params=params, optimizer=self.optimizer.init(self.num_params))

    def ask(self, state: ESState) -> np.ndarray:
        rng = generation_rng(self.seed, state.generation)
        return self.noise.sample_indices(rng, self.num_params, self.pairs)

    def gradient(self, indices: np.ndarray, returns: np.ndarray) -> np.ndarray:
        """Ascent direction from returns of shape (pairs, 2): column 0 is +eps, 1 is -eps."""
        if 0 < self.top_directions < len(indices):
            # ARS (Mania et al. 2018): directions where neither member did well carry
            # mostly noise; keep the best, in their original order
            best = np.argsort(-returns.max(axis=1), kind="stable")[: self.top_directions]
            keep = np.sort(best)
            indices, returns = indices[keep], returns[keep]
        if self.fitness == "std":
            std = returns.std()
            weights = (returns[:, 0] - returns[:, 1]) / (std if std > 0 else 1.0)
        else:
            shaped = centered_ranks(returns)
            weights = shaped[:, 0] - shaped[:, 1]
        return antithetic_gradient(self.noise, indices, weights, self.num_params, self.sigma)

    def tell(self, state: ESState, indices: np.ndarray, returns: np.ndarray) -> ESState:
        returns = np.asarray(returns, dtype=np.float64)
        if returns.shape != (len(indices), 2):
            raise ValueError(f"returns must have shape ({len(indices)}, 2), got {returns.shape}")
        if not np.all(np.isfinite(returns)):
            raise ValueError("returns contain NaN or infinity; refusing to update")
        loss_grad = -self.gradient(indices, returns) + np.float32(self.l2_coeff) * state.params
        delta, opt_state = self.optimizer.step(state.optimizer, loss_grad)
        return replace(
            state,
            params=(state.params + delta).astype(np.float32),
            optimizer=opt_state,
            generation=state.generation + 1,
        )
