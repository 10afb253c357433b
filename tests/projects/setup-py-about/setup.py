import os

from setuptools import setup

here = os.path.abspath(os.path.dirname(__file__))
about = {}
path = os.path.join(here, "src", "rk_requests", "__version__.py")
with open(path, "r", encoding="utf-8") as f:
    exec(f.read(), about)

setup(
    name=about["__title__"],
    version=about["__version__"],
    package_dir={"": "src"},
    packages=["rk_requests"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
)
