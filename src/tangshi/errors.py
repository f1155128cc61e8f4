"""One error type for bad input: its message is the one line a user sees."""

import sys
from typing import Callable


class TangshiError(Exception):
    """A problem with the user's input or environment, with the fix in its message."""


def run_main(main: Callable[[], None]) -> None:
    """Run a stage or CLI entry point; a TangshiError becomes one line on stderr and exit 1."""
    try:
        main()
    except TangshiError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
