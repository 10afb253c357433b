# Versioneer rewrites this file in the sdist; in the checkout it asks git.
from importlib.metadata import PackageNotFoundError, version


def get_versions():
    try:
        return {"version": version("rk-partd")}
    except PackageNotFoundError:
        return {"version": "0+unknown"}
