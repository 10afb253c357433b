import sys

from setuptools import setup

sys.path.insert(0, '.')

from rk_nodeenv import rk_nodeenv_version  # noqa: E402

setup(
    name='rk-nodeenv',
    version=rk_nodeenv_version,
    py_modules=['rk_nodeenv'],
    long_description=open('README.rst').read() + "\n\n" + open('CHANGES').read(),
    python_requires='>=3.10',
)
