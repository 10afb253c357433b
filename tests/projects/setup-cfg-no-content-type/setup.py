from setuptools import setup  # type: ignore[import-untyped]

setup(name="rk-asgiref")
