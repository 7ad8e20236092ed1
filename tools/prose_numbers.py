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
    """(line number, prose text) for the lines outside code cells, fences and comments."""
    in_fence = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        fence = re.match(r"^(`{3,}|:{3,})", stripped)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
                if stripped.startswith(("```{math}", ":::{math}")):
                    pass
                continue
            if stripped.startswith(in_fence) and stripped.strip("`:") == "":
                in_fence = None
                continue
        if in_fence is not None and (in_fence.startswith("`") or stripped.startswith(":")):
            # code, math and literal blocks, and directives' options
            if in_fence.startswith("`"):
                continue
        if stripped.startswith(("%", "<!--")) or number < 12 and stripped.startswith(("jupytext", "kernelspec")):
            continue
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
