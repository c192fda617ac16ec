"""The rollout `EnvRunner.get_next` returns: T steps of N envs, typed.

The A2C notebook handles a trajectory as a dict (`trajectory["values"]`,
`trajectory["value_targets"] = ...`); a `Rollout` answers the same item access, so
the notebook's transforms and code run on it unchanged. What the code relies on is
the fields; nothing changes behaviour by being present or absent.
"""

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("observations", "actions", "rewards", "resets", "game_over", "state")


@dataclass(eq=False)
class Rollout(MutableMapping):
    """Per-step lists (one entry of N per step) until a transform merges them.

    `resets[t]`: the episode (or the life, where life losses are training terminals)
    ended at step t. `game_over[t]`: a whole game ended at step t (Atari; None where
    the env does not say). `state`: `latest_observation` s_{t+T} and the runner's
    `env_steps`. `extra`: what the policy's `act` returned besides `actions` (A2C:
    `logits`, `log_probs`, `values`; DQN: `q_max`) and what transforms add
    (`value_targets`).
    """

    observations: Any = field(default_factory=list)
    actions: Any = field(default_factory=list)
    rewards: Any = field(default_factory=list)
    resets: Any = field(default_factory=list)
    game_over: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key in FIELDS:
            value = getattr(self, key)
            if value is None:
                raise KeyError(key)
            return value
        return self.extra[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key in FIELDS:
            setattr(self, key, value)
        else:
            self.extra[key] = value

    def __delitem__(self, key: str) -> None:
        if key in FIELDS:
            setattr(self, key, None)
        else:
            del self.extra[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in FIELDS if getattr(self, key) is not None)
        yield from self.extra

    def __len__(self) -> int:
        return sum(1 for _ in self)
