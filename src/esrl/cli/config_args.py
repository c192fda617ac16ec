"""Expose a config dataclass as command-line flags, and read back only what was given."""

import argparse
import dataclasses
from typing import Any

from esrl.configs import field_type


def _parse_int_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def add_config_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field (`learning_rate` -> `--learning-rate`); defaults are not filled in,
    so that `given_values` can tell what the user actually asked for."""
    for field in dataclasses.fields(cls):
        kind, _ = field_type(cls, field.name)
        default = (
            field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
        flag = "--" + field.name.replace("_", "-")
        help_text = f"{field.metadata.get('help', '')} (default: {default})"
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "help": help_text}
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if kind == tuple[int, ...]:
            kwargs["type"] = _parse_int_tuple
        elif kind in (int, float, str):
            kwargs["type"] = kind
        if field.metadata.get("choices"):
            kwargs["choices"] = field.metadata["choices"]
        else:
            kwargs["metavar"] = {int: "N", float: "X", str: "NAME"}.get(kind, "N,N")
        parser.add_argument(flag, **kwargs)


def given_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}
