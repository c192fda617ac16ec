"""What A2C and DQN share: rollout collection (`runner`), the env batch they learn on
(`env_batch`, `split`), torch network bodies (`networks`) and `--pipeline` (`pipeline`).
ES uses none of it."""
