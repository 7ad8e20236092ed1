"""``python -m adamlab.grading.cli`` (what ``make grade`` runs): the command line lives in :mod:`.confirm.cli`."""

import sys

from .confirm.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
