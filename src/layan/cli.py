"""The `layan` console script: every Django management command, with Layan's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["layan", *(sys.argv[1:] if argv is None else argv)])
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, which is not an error of ours.
        # Point stdout at /dev/null so that Python's flush at exit does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
