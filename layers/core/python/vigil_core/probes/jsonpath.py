"""A small JSON path resolver for conditions and assertions: `$.a.b[0]`, `a.b[0].c`, `[0].id`, `$['odd.key']`.

Only member and index steps, which is what monitoring needs; no wildcards, filters or slices. Paths are parsed
once and cached, since the same few paths are resolved on every check.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A step is an object key (str) or an array index (int).
JsonPathStep = str | int

_PLAIN_KEY = re.compile(r"[^.\[\]]+")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_QUOTED_KEY = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")


class JsonPathNotFoundError(LookupError):
    """The path is well formed but the document has nothing there; the message says where the walk stopped."""


def parse_json_path(path: str) -> tuple[JsonPathStep, ...]:
    """The steps of `path`; raises ValueError, naming the position, when it is not a path this resolver reads."""
    return _parse(path.strip())


@lru_cache(maxsize=1024)
def _parse(path: str) -> tuple[JsonPathStep, ...]:
    steps: list[JsonPathStep] = []
    position = 1 if path.startswith("$") else 0
    # The first key may go without its dot ("a.b"), as Gatus writes paths after [BODY].
    expecting_key = position == 0
    while position < len(path):
        character = path[position]
        if character == "." or (expecting_key and character != "["):
            start = position + 1 if character == "." else position
            key = _PLAIN_KEY.match(path, start)
            if key is None:
                raise ValueError(f"expected a key at position {start} of {path!r}")
            steps.append(key.group())
            position = key.end()
        elif character == "[":
            if index := _INDEX.match(path, position):
                number = int(index.group(1))
                if number < 0:
                    raise ValueError(f"array index {number} in {path!r} must not be negative")
                steps.append(number)
                position = index.end()
            elif quoted := _QUOTED_KEY.match(path, position):
                raw = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
                steps.append(re.sub(r"\\(.)", r"\1", raw))
                position = quoted.end()
            else:
                raise ValueError(f"expected [number] or ['key'] at position {position} of {path!r}")
        else:
            raise ValueError(f"unexpected {character!r} at position {position} of {path!r}")
        expecting_key = False
    return tuple(steps)


def format_json_path(steps: tuple[JsonPathStep, ...]) -> str:
    """`$.a.b[0]`-style text for steps, for messages."""
    text = "$"
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _PLAIN_KEY.fullmatch(step):
            text += f".{step}"
        else:
            text += "[" + repr(step) + "]"
    return text


def resolve_json_path(document: object, path: str) -> object:
    """The value at `path` in a parsed JSON document (JSON null is a value and comes back as None).

    Raises ValueError for a malformed path and JsonPathNotFoundError when the document has nothing there.
    """
    steps = parse_json_path(path)
    current = document
    for depth, step in enumerate(steps):
        location = format_json_path(steps[:depth])
        if isinstance(current, dict):
            key = str(step)
            if key not in current:
                raise JsonPathNotFoundError(f"{location} has no key {key!r}")
            current = current[key]
        elif isinstance(current, list):
            index = step if isinstance(step, int) else _digits_as_index(step)
            if index is None:
                raise JsonPathNotFoundError(f"{location} is an array, not an object with key {step!r}")
            if index >= len(current):
                items = "1 item" if len(current) == 1 else f"{len(current)} items"
                raise JsonPathNotFoundError(f"{location} has {items}, so no index {index}")
            current = current[index]
        else:
            raise JsonPathNotFoundError(f"{location} is {_kind(current)}, so it has no {format_json_path((step,))[1:]}")
    return current


def _digits_as_index(step: str) -> int | None:
    # `items.0` is a common way to write `items[0]`.
    return int(step) if step.isdigit() else None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a " + type(value).__name__
