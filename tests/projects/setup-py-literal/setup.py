from setuptools import setup

setup(
    name="rk-six",
    version="1.2.3",
    py_modules=["rk_six"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
)
