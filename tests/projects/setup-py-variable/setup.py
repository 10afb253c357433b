from setuptools import setup

NAME = "rk-setup-variable"
VERSION = "1.2.3"

setup(
    name=NAME,
    version=VERSION,
    py_modules=["rk_setup_variable"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
)
