"""RMSProp for A2C in either framework's semantics (`--rmsprop torch|tf`).

The notebook allows PyTorch or TensorFlow, and the two RMSProps differ beyond
naming: PyTorch divides by sqrt(ms) + eps with the mean square ms starting at 0;
TensorFlow 1 (so OpenAI baselines' A2C and SB3's tuned Atari A2C, which ships the
same rule as `RMSpropTFLike`) divides by sqrt(ms + eps) with ms starting at 1.
"""

from collections.abc import Iterable

import torch


class RMSpropTF(torch.optim.Optimizer):
    """p -= lr * g / sqrt(ms + eps), ms = alpha * ms + (1 - alpha) * g^2, ms from 1.

    Why it differs in practice: A2C's gradients, clipped to norm 0.5 over 1.7M weights,
    are ~1e-4 per weight, so with eps 1e-5 the root never falls below sqrt(1e-5) = 3.2e-3
    where PyTorch's falls to ~1e-4: most steps are several times smaller. The 1s decay
    as alpha^t, so the first ~1000 updates are smaller still, a built-in warm-up.
    Written here (a dozen lines) rather than importing SB3, which is benchmark-only.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-10,
    ):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["square_avg"] = torch.ones_like(param)
                square_avg = state["square_avg"]
                square_avg.mul_(group["alpha"]).addcmul_(
                    param.grad, param.grad, value=1 - group["alpha"]
                )
                param.addcdiv_(param.grad, square_avg.add(group["eps"]).sqrt_(), value=-group["lr"])
        return loss


def make_rmsprop(
    semantics: str, params: Iterable[torch.Tensor], lr: float, alpha: float, eps: float
) -> torch.optim.Optimizer:
    """PyTorch's RMSprop (`torch`, SB3's A2C default) or TensorFlow 1's (`tf`)."""
    if semantics == "tf":
        return RMSpropTF(params, lr=lr, alpha=alpha, eps=eps)
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps)
