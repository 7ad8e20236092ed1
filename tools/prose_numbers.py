"""List the numbers typed into the prose of the book's chapters, for an audit.

Every number in the text that comes from a run must be computed by a cell and glued in
(``{glue:text}``). This lists every number left in the prose once code cells, MyST
comments, directives' options, math (``$...$``), inline code, glue roles, citations and
cross-references are taken out, chapter by chapter with line numbers, so that a reader
can check each one: a definition ("8×8 pixels", "β₂ = 0.999") is fine; a measured result
is not.

Usage: ``python tools/prose_numbers.py [book/adam.md ...]`` (default: every chapter).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REMOVE = [
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]+\$"),  # inline math
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\{[a-z:]+\}`[^`]*`"),  # roles: glue, cite, doc, ref, eq
    re.compile(r"\[[^\]]*\]\([^)]*\)"),  # links
]
NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*(?:e-?\d+)?%?")


def prose_lines(text: str):
    """(line number, text) for the lines outside code fences (code cells, code and math blocks) and comments."""
    fence = None  # the backtick run that opened the current code fence
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        opener = re.match(r"^(`{3,})", stripped)
        if fence is None and opener:
            fence = opener.group(1)
        elif fence is not None:
            if stripped.startswith(fence) and stripped.strip("`") == "":
                fence = None
        elif not stripped.startswith(("%", "<!--", ":::")):
            yield number, line


def numbers_in(path: Path) -> list[tuple[int, str, str]]:
    text = path.read_text()
    body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    offset = text[: len(text) - len(body)].count("\n")
    found = []
    for number, line in prose_lines(body):
        clean = re.sub(r"^\s*(#+\s*)?\d+\.\s", " ", line)  # list items and numbered headings
        for pattern in REMOVE:
            clean = pattern.sub(" ", clean)
        hits = NUMBER.findall(clean)
        if hits:
            found.append((number + offset, ", ".join(hits), line.strip()))
    return found


def main(argv: list[str]) -> int:
    pages = [Path(a) for a in argv] or sorted((ROOT / "book").glob("*.md"))
    total = 0
    for page in pages:
        rows = numbers_in(page)
        total += len(rows)
        print(f"## {page}: {len(rows)} lines with typed numbers")
        for line, hits, text in rows:
            print(f"{line:5d}  [{hits}]  {text[:140]}")
    print(f"\n{total} prose lines hold typed numbers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
