"""Advantage actor-critic (Mnih et al. 2016, synchronous): the losses and one update step."""

from collections.abc import Mapping, MutableMapping
from typing import Any

import torch
from torch.nn import functional as F

from esrl.a2c.policy import Policy


class A2C:
    """`step(trajectory)` takes a merged trajectory (T * N rows with `value_targets`),
    takes one optimizer step, and returns the notebook's diagnostics as floats.

    The losses read `logits`, `log_probs` and `values` from the trajectory. `step`
    first recomputes them with gradients (`Policy.evaluate`, one batched forward):
    acting keeps no graph.
    """

    def __init__(
        self,
        policy: Policy,
        optimizer: torch.optim.Optimizer,
        value_loss_coef: float = 0.25,
        entropy_coef: float = 0.01,
        max_grad_norm: float = 0.5,
        truncate_ratio: bool = False,
    ):
        self.policy = policy
        self.optimizer = optimizer
        self.value_loss_coef = value_loss_coef
        self.entropy_coef = entropy_coef
        self.max_grad_norm = max_grad_norm
        self.truncate_ratio = truncate_ratio

    @staticmethod
    def advantages(trajectory: Mapping[str, Any]) -> torch.Tensor:
        """Value targets minus predictions, held constant for the policy gradient."""
        return (trajectory["value_targets"] - trajectory["values"]).detach()

    def policy_loss(
        self, trajectory: Mapping[str, Any], behaviour_log_probs: torch.Tensor | None = None
    ) -> torch.Tensor:
        """-E[A * log pi(a|s)]: raises the log-probability of better-than-expected actions.

        Given `behaviour_log_probs` (the actions were drawn by older weights mu, as when
        the pipelined trainer acts one update behind), the importance-weighted
        -E[A * pi(a|s) / mu(a|s)] instead. Its gradient is the on-policy one where
        pi = mu, and off-policy it keeps the baseline unbiased: without the ratio, any
        offset in the advantages pushes pi away from mu, and the policy collapses onto
        one action.
        With `truncate_ratio`, IMPALA's -E[A * min(pi/mu, 1) * log pi(a|s)], the ratio
        held constant: the same gradient while pi <= mu, capped where one update made an
        action many times likelier than when it was played.
        """
        advantages = self.advantages(trajectory)
        if behaviour_log_probs is not None:
            ratio = (trajectory["log_probs"] - behaviour_log_probs).exp()
            if self.truncate_ratio:
                weights = ratio.detach().clamp(max=1.0)
                return -(advantages * weights * trajectory["log_probs"]).mean()
            return -(advantages * ratio).mean()
        return -(advantages * trajectory["log_probs"]).mean()

    def value_loss(self, trajectory: Mapping[str, Any]) -> torch.Tensor:
        return F.mse_loss(trajectory["values"], trajectory["value_targets"])

    @staticmethod
    def entropy(trajectory: Mapping[str, Any]) -> torch.Tensor:
        log_probs = F.log_softmax(trajectory["logits"], dim=-1)
        return -(log_probs.exp() * log_probs).sum(-1).mean()

    def loss(
        self, trajectory: Mapping[str, Any], behaviour_log_probs: torch.Tensor | None = None
    ) -> torch.Tensor:
        return (
            self.policy_loss(trajectory, behaviour_log_probs)
            + self.value_loss_coef * self.value_loss(trajectory)
            - self.entropy_coef * self.entropy(trajectory)
        )

    def step(
        self,
        trajectory: MutableMapping[str, Any],
        behaviour_log_probs: torch.Tensor | None = None,
    ) -> dict[str, float]:
        """One optimizer step; `behaviour_log_probs` as in `policy_loss`."""
        trajectory.update(self.policy.evaluate(trajectory["observations"], trajectory["actions"]))
        policy_loss = self.policy_loss(trajectory, behaviour_log_probs)
        value_loss = self.value_loss(trajectory)
        entropy = self.entropy(trajectory)
        loss = policy_loss + self.value_loss_coef * value_loss - self.entropy_coef * entropy
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(
            self.policy.model.parameters(), self.max_grad_norm
        )
        self.optimizer.step()
        targets = trajectory["value_targets"]
        values = trajectory["values"].detach()
        return {
            "loss": loss.item(),
            "policy_loss": policy_loss.item(),
            "value_loss": value_loss.item(),
            "entropy": entropy.item(),
            "grad_norm": float(grad_norm),
            "value_targets": float(targets.mean()),
            "values": float(values.mean()),
            "advantages": float((targets - values).mean()),
            "r2": float(explained_variance(values, targets)),
        }


def explained_variance(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Coefficient of determination 1 - Var[y - y_hat] / Var[y]; NaN when targets are constant."""
    var = targets.var(unbiased=False)
    if var == 0:
        return torch.tensor(float("nan"))
    return 1.0 - (targets - predictions).var(unbiased=False) / var
