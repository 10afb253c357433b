"""What identifies an interpreter (version, ABI, platform, real path) and its PEP 508
marker environment: imported for the running interpreter, run as a script (copied to a
directory of its own) by another one, which prints them as JSON. Standard library only.
"""

import json
import os
import platform
import sys
import sysconfig
from typing import Any


def facts() -> "dict[str, Any]":
    impl = sys.implementation
    version = f"{impl.version.major}.{impl.version.minor}.{impl.version.micro}"
    if impl.version.releaselevel != "final":
        version += impl.version.releaselevel[0] + str(impl.version.serial)
    markers = {
        "implementation_name": impl.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }
    base = getattr(sys, "_base_executable", None) or sys.executable
    return {
        "version": sys.version,
        "cache_tag": impl.cache_tag,
        "platform": sysconfig.get_platform(),
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "base": os.path.realpath(base),
        "markers": markers,
    }


if __name__ == "__main__":
    print(json.dumps(facts()))
