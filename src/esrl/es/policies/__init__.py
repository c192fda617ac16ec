"""Policies whose parameters are one flat float32 vector, evaluated for many members at once."""

from esrl.es.policies.action_heads import ActionHead, make_action_head
from esrl.es.policies.mlp import MLPPolicy

__all__ = ["ActionHead", "MLPPolicy", "make_action_head"]
