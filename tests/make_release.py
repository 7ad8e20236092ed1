"""``python tests/make_release.py REPO OUT A...``: ``nbgrader generate_assignment`` of assignments ``A...`` into
``OUT/release``, with a gradebook of its own, in one process (what ``make release`` writes, without touching
``exercises/``). The tests' ``fresh_release`` runs it once per session."""

from __future__ import annotations

import sys
from pathlib import Path

from adamlab.grading.confirm.pipeline import load_api


def main(repo: Path, out: Path, assignments: list[str]) -> None:
    api = load_api(repo, release_directory=str(out / "release"), db_url=f"sqlite:///{out / 'gradebook.db'}")
    for a in assignments:
        result = api.generate_assignment(a, force=True)
        if not result.get("success"):
            sys.exit(f"generate_assignment {a} failed:\n{result.get('error') or result.get('log')}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
