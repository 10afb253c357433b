from setuptools import setup

import rk_sortedcontainers


with open('README.rst') as reader:
    readme = reader.read()

setup(
    name=rk_sortedcontainers.__title__,
    version=rk_sortedcontainers.__version__,
    description='Sorted Containers -- Sorted List, Sorted Dict, Sorted Set',
    long_description=readme,
    long_description_content_type='text/x-rst',
    author='A',
    author_email='a@example.invalid',
    packages=['rk_sortedcontainers'],
)
