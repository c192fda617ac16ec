"""How far one A2C update moves the policy: what `--pipeline`'s one-update lag costs.

    .venv/bin/python bench/a2c_policy_lag.py [--updates 600] [--every 100]

Trains A2C in line on SpaceInvaders with the notebook's settings (seed 0) and, after
each update, compares the policy before and after on the trajectory it learned from:
the mean KL(before || after) over its states, and the ratio rho = pi_after(a|s) /
pi_before(a|s) of the actions taken. A pipelined run acts one update behind, so this
rho is the importance weight its policy loss carries; if it stayed near 1 the lag could
not matter. Prints means over each `--every` updates and the largest |log rho|.
"""

import argparse

import numpy as np
import torch
from torch.nn import functional as F

from esrl.a2c import A2C, A2CConfig, ComputeValueTargets, MergeTimeBatch
from esrl.a2c.trainer import build_agent
from esrl.envs.batch import make_env_batch
from esrl.envs.runner import EnvRunner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    config = A2CConfig(env="SpaceInvaders", steps=10_000_000)
    env = make_env_batch(config.env, config.nenvs, frame_size=config.frame_size)
    model, policy, optimizer = build_agent(config, env)
    transforms = [ComputeValueTargets(policy, config.gamma), MergeTimeBatch()]
    runner = EnvRunner(env, policy, config.nsteps, transforms=transforms, seed=config.seed)
    a2c = A2C(policy, optimizer, config.value_loss_coef, config.entropy_coef, config.max_grad_norm)
    print("env steps  KL per update  sd(rho)  max |log rho|")
    rows = []
    for update in range(1, args.updates + 1):
        progress = runner.step_var / config.steps
        trajectory = runner.get_next()
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * (1.0 - progress)
        before = F.log_softmax(trajectory["logits"], dim=-1)
        a2c.step(trajectory)
        with torch.no_grad():
            after = F.log_softmax(model(trajectory["observations"])[0], dim=-1)
        taken = torch.as_tensor(trajectory["actions"], dtype=torch.long).unsqueeze(1)
        log_rho = (after.gather(1, taken) - before.gather(1, taken)).squeeze(1)
        kl = (before.exp() * (before - after)).sum(-1).mean()
        rows.append((float(kl), float(log_rho.exp().std()), float(log_rho.abs().max())))
        if update % args.every == 0:
            window = np.array(rows[-args.every :])
            print(
                f"{runner.step_var:9,}  {window[:, 0].mean():13.2e}  {window[:, 1].mean():7.4f}"
                f"  {window[:, 2].max():13.3f}"
            )
    env.close()


if __name__ == "__main__":
    main()
