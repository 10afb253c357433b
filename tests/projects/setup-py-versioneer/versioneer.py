"""A stand-in for versioneer: the version is ``git describe`` of the last tag.

Like versioneer, it answers from git in a checkout and from the sdist's PKG-INFO once
the source left git behind (the wheel is built from the sdist).
"""

import os
import re
import subprocess

TAG_PREFIX = "v"
HERE = os.path.dirname(os.path.abspath(__file__))


def get_version():
    if not os.path.exists(os.path.join(HERE, ".git")):
        with open(os.path.join(HERE, "PKG-INFO"), encoding="utf-8") as pkg_info:
            return re.search(r"^Version: (.+)$", pkg_info.read(), re.M).group(1)
    described = subprocess.run(
        ["git", "describe", "--tags", "--long", "--match", TAG_PREFIX + "*"],
        cwd=HERE, capture_output=True, text=True, check=True,
    ).stdout.strip()
    tag, distance, node = described.rsplit("-", 2)
    version = tag[len(TAG_PREFIX):]
    return version if distance == "0" else f"{version}+{distance}.{node}"


def get_cmdclass():
    return {}
