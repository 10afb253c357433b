#!/usr/bin/env python

import io

from setuptools import setup, find_packages


setup(
    name='rk-jmespath',
    version='1.2.3',
    description='JSON Matching Expressions',
    long_description=io.open('README.rst', encoding='utf-8').read(),
    author='A',
    author_email='a@example.invalid',
    scripts=[],
    packages=find_packages(exclude=['tests']),
    python_requires='>=3.10',
)
