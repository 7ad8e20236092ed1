"""The one place that words a diagnosis: "Most likely mistake: ...", and what else fits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NONE_KNOWN = "It matches none of the common mistakes we know; compare your code with the {what} line by line."


@dataclass(frozen=True)
class Mistake:
    """A known wrong variant: ``fn`` has the exercise function's signature and makes this one mistake."""

    key: str
    title: str
    hint: str
    fn: Callable | None = None


class Keyed(str):
    """A message that remembers the key of the mistake it names (``key`` None: it names none)."""

    key: str | None = None

    def __new__(cls, text: str, key: str | None = None):
        obj = super().__new__(cls, text)
        obj.key = key
        return obj


def keyed(text: str, key: str | None) -> Keyed:
    return Keyed(text, key)


def diagnosis(mistakes: Sequence[Mistake], otherwise: str | None = NONE_KNOWN.format(what="update rule")) -> Keyed:
    """The most likely mistake (the first), the others that fit too; ``otherwise`` when none fits."""
    if not mistakes:
        return Keyed(otherwise or "")
    lines = [f"Most likely mistake: {mistakes[0].title}. {mistakes[0].hint}"]
    if len(mistakes) > 1:
        lines.append("Also consistent with: " + "; ".join(m.title for m in mistakes[1:]) + ".")
    return Keyed("\n".join(lines), mistakes[0].key)


def with_diagnosis(message: str, mistakes: Sequence[Mistake], otherwise: str | None = None) -> Keyed:
    """``message``, then the diagnosis on the next line (nothing added when no mistake fits and no ``otherwise``)."""
    tail = diagnosis(mistakes, otherwise)
    return Keyed(f"{message}\n{tail}" if tail else message, tail.key)
