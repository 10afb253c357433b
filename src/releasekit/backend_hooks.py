"""Run by the build environment's python, as a script copied to a directory of its own
(never imported by releasekit): pyproject_hooks' hook script, with the user's settings
that would leak into the backend removed and a deadline.

argv: TIMEOUT SCRIPT HOOK_ARGS... The variables named (JSON) in _RELEASEKIT_UNSET are
removed; after TIMEOUT seconds (0: none) the process ends with exit code 124.
Standard library only, and any Python a build may use.
"""

import json
import os
import runpy
import sys
import threading

TIMED_OUT = 124


def _stop(timeout: float) -> None:
    print(
        f"releasekit: the build backend did not answer within {timeout:g} s and was stopped.",
        file=sys.stderr,
        flush=True,
    )
    os._exit(TIMED_OUT)


def main() -> None:
    timeout = float(sys.argv[1])
    script = sys.argv[2]
    for name in json.loads(os.environ.pop("_RELEASEKIT_UNSET", "[]")):
        os.environ.pop(name, None)
    if timeout > 0:
        watchdog = threading.Timer(timeout, _stop, (timeout,))
        watchdog.daemon = True
        watchdog.start()
    # As if the hook script were run itself: its own directory first on sys.path.
    sys.argv = [script, *sys.argv[3:]]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
