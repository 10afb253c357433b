#!/usr/bin/env python

from setuptools import setup

import versioneer

setup(
    name="rk-partd",
    version=versioneer.get_version(),
    cmdclass=versioneer.get_cmdclass(),
    description="Appendable key-value storage",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=["rk_partd"],
    python_requires=">=3.10",
)
