from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "rk_speedups._speedups", ["src/rk_speedups/_speedups.c"], optional=True
        )
    ]
)
