"""The program that runs inside the sandbox, and the value codec both sides share.

This file is passed whole to ``python -I -S -c`` as the sandbox's program, so it imports only
the standard library and nothing from ``mapelite``. The scoring process imports it too, for
``encode``/``decode`` (the same codec on both sides of the pipe).

Protocol: one JSON document per line. The scorer sends ``{"code": ...}`` first; the child
answers ``["loaded"]`` or ``["load-error", type]``. Then each request ``[seq, name, args]``
(args encoded) gets ``[seq, "ok", value]`` (value encoded), ``[seq, "raised", type]`` or
``[seq, "unencodable", type]``.

Nothing here is trusted by the scorer: once the candidate's code has run in this process it
can replace any of these functions or write anything to the result pipe. The scorer only ever
learns "the function returned this plain value" from it, and never sends expected values here,
so a forged reply is worth no more than an honest function returning that value.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
from typing import Any

MAX_DEPTH = 64
_SCALAR_TAGS = {"n", "b", "i", "f", "s", "y", "c"}


def encode(value: Any, depth: int = 0) -> list[Any]:
    """A tagged JSON form of a plain value; a value of any other type becomes ``o`` (opaque).

    Instances of builtin types' subclasses (``Counter``, a namedtuple, an ``int`` subclass)
    travel as their builtin base, read through the base type's own methods: the value is
    carried, never the object, so an overridden ``__eq__`` cannot take part in a comparison.
    ``bool`` is checked before ``int`` so that ``True`` stays distinct from ``1``.
    """
    if depth > MAX_DEPTH:
        raise ValueError("too deep")
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", bool(int.__int__(value))]
    if isinstance(value, int):
        return ["i", int.__repr__(value)]
    if isinstance(value, float):
        return ["f", float.__repr__(value)]
    if isinstance(value, str):
        return ["s", str.__str__(value)]
    if isinstance(value, bytes):
        return ["y", bytes.hex(value)]
    if isinstance(value, complex):
        return ["c", float.__repr__(value.real), float.__repr__(value.imag)]
    if isinstance(value, dict):
        pairs = dict.items(value)
        return ["d", [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in pairs]]
    bases: tuple[tuple[Any, str], ...] = ((list, "l"), (tuple, "t"), (set, "S"), (frozenset, "F"))
    for base, tag in bases:
        if isinstance(value, base):
            return [tag, [encode(item, depth + 1) for item in base.__iter__(value)]]
    return ["o", str(getattr(type(value), "__name__", "?"))[:80]]


class Opaque:
    """A value of a type the codec does not carry: equal to nothing, not even another one,
    and unequal to nothing either; its truth is no answer (a test's ``assert candidate(x)``
    or ``!=`` must not pass on an object that is not a plain value)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return False

    def __bool__(self) -> bool:
        raise TypeError(f"a {self.type_name} object is not a plain value")

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def decode(node: Any, depth: int = 0) -> Any:
    """The value of an ``encode`` form; ``ValueError`` for anything malformed."""
    if depth > MAX_DEPTH or type(node) is not list or not node or type(node[0]) is not str:
        raise ValueError("malformed value")
    tag, rest = node[0], node[1:]
    if tag in _SCALAR_TAGS:
        return _decode_scalar(tag, rest)
    if tag == "o" and len(rest) == 1 and type(rest[0]) is str:
        return Opaque(rest[0])
    if len(rest) != 1 or type(rest[0]) is not list:
        raise ValueError("malformed container")
    if tag == "d":
        pairs = rest[0]
        if not all(type(p) is list and len(p) == 2 for p in pairs):
            raise ValueError("malformed dict")
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in pairs}
    items = [decode(item, depth + 1) for item in rest[0]]
    if tag == "l":
        return items
    if tag == "t":
        return tuple(items)
    if tag == "S":
        return set(items)
    if tag == "F":
        return frozenset(items)
    raise ValueError("unknown tag")


def _decode_scalar(tag: str, rest: list[Any]) -> Any:
    if tag == "n" and not rest:
        return None
    if len(rest) == 1 and tag == "b" and type(rest[0]) is bool:
        return rest[0]
    if len(rest) == 1 and type(rest[0]) is str:
        text = rest[0]
        if tag == "i":
            return int(text)
        if tag == "f":
            return float(text)
        if tag == "s":
            return text
        if tag == "y":
            return bytes.fromhex(text)
    if tag == "c" and len(rest) == 2 and all(type(part) is str for part in rest):
        return complex(float(rest[0]), float(rest[1]))
    raise ValueError("malformed scalar")


def _set_limits(limits: dict[str, int]) -> None:
    kinds = {
        "memory": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "fsize": resource.RLIMIT_FSIZE,
        "nproc": resource.RLIMIT_NPROC,
        "nofile": resource.RLIMIT_NOFILE,
        "core": resource.RLIMIT_CORE,
    }
    for name, kind in kinds.items():
        if name in limits:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(kind, (limits[name], limits[name]))


def _drop_privileges(uid: int) -> None:
    # As root, RLIMIT_NPROC does not bind and root may signal anything: become a uid of our
    # own (no capabilities survive setresuid away from 0). A failure here ends the child.
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def main() -> None:
    limits = json.loads(sys.argv[1])
    _set_limits(limits)
    if limits.get("uid"):
        _drop_privileges(int(limits["uid"]))
    requests = os.fdopen(os.dup(0), "rb")
    results = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    def reply(message: list[Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(results, data) :]

    code = json.loads(requests.readline())["code"]
    namespace: dict[str, Any] = {"__name__": "solution"}
    try:
        exec(compile(code, "solution.py", "exec", dont_inherit=True), namespace)
    except BaseException as error:  # the candidate's failure, reported, never ours
        reply(["load-error", type(error).__name__])
        return
    reply(["loaded"])
    for line in requests:
        seq, name, args = json.loads(line)
        try:
            value = namespace[name](*decode(args))
        except BaseException as error:
            reply([seq, "raised", type(error).__name__])
            continue
        try:
            encoded = encode(value)
        except BaseException as error:
            reply([seq, "unencodable", type(error).__name__])
            continue
        reply([seq, "ok", encoded])


if __name__ == "__main__":
    main()
    os._exit(0)
