"""The one transport between the grader and the sandbox: plain trees, never pickles.

A *plain tree* is ``None``, a bool, int, float or str, a NumPy array of numbers or booleans,
or a list, tuple or str-keyed dict of plain trees. :func:`write` stores the arrays in an
``.npz`` and the rest as JSON beside them; :func:`read` loads it with ``allow_pickle=False``.
Both directions use it: the grader's request (each probe's inputs) and the child's result
(each probe's outputs, or the error it met). Tuples come back as lists.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

_ARRAY = "__array__"


def encode(tree: Any) -> tuple[str, dict[str, np.ndarray]]:
    """``tree`` as JSON text and the arrays it refers to; ``TypeError`` for anything not plain."""
    arrays: dict[str, np.ndarray] = {}

    def walk(x):
        if isinstance(x, (np.ndarray, np.generic)):
            arr = np.asarray(x)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"an array of dtype {arr.dtype} cannot cross to the confirmation run")
            key = f"a{len(arrays)}"
            arrays[key] = arr
            return {_ARRAY: key}
        if isinstance(x, dict):
            if not all(isinstance(k, str) and k != _ARRAY for k in x):
                raise TypeError("only dicts with string keys cross to the confirmation run")
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        raise TypeError(f"a {type(x).__name__} cannot cross to the confirmation run")

    return json.dumps(walk(tree)), arrays


def decode(text: str, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of :func:`encode`."""

    def walk(x):
        if isinstance(x, dict):
            if set(x) == {_ARRAY}:
                return np.asarray(arrays[x[_ARRAY]])
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(json.loads(text))


def roundtrip(tree: Any) -> Any:
    """``tree`` as the other side receives it (the kernel checks what the grader would)."""
    text, arrays = encode(tree)
    return decode(text, {k: v.copy() for k, v in arrays.items()})


def write(path: str, tree: Any) -> None:
    text, arrays = encode(tree)
    np.savez(path, **{"__tree__": np.array(text)}, **arrays)


def read(path: str) -> Any:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "__tree__"}
        return decode(str(data["__tree__"]), arrays)
