"""``python -m releasekit`` and the ``releasekit`` command."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if "notes" in argv:
        # Lazy, both: `releasekit notes` takes its short path (releasekit.notes_command)
        # without the CLI's imports of every step; the CLI answers everything else.
        from releasekit.notes_command import run_notes

        code = run_notes(argv)
        if code is not None:
            return code
    from releasekit.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
