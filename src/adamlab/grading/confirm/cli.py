"""Command line for instructors: ``adamlab-grade grade``, which ``make grade`` runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="adamlab-grade", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde _grading/submitted/, confirm scores, write feedback and grades.csv")
    g.add_argument("--root", default=".", help="the course repository (where nbgrader_config.py is)")
    g.add_argument("--workers", type=int, default=2, help="parallel grading processes (default 2)")
    g.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    g.add_argument("--seed", type=int, help="seed of the confirmation inputs (default: fresh)")
    g.add_argument(
        "--student", action="append", help="grade only this student (repeatable or comma-separated; make grade S=alice)"
    )
    g.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    g.add_argument(
        "--unsafe",
        action="store_true",
        help="grade even where bubblewrap is missing: student code then runs unjailed (make grade UNSAFE=1)",
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "nbgrader_config.py").exists():
        parser.error(f"{root} has no nbgrader_config.py: run from the adamlab repository or pass --root")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    if args.unsafe:
        os.environ["ADAMLAB_UNSAFE"] = "1"
    from .jail import JailUnavailable
    from .pipeline import grade

    try:
        grade(
            root,
            workers=args.workers,
            assignments=args.assignment,
            seed=args.seed,
            feedback=not args.no_feedback,
            students=[s for arg in args.student for s in arg.split(",") if s] if args.student else None,
        )
    except JailUnavailable as exc:
        print(f"make grade refuses to grade: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
