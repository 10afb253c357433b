"""A module whose version setup.py imports."""

rk_nodeenv_version = '1.2.3'


def main() -> None:
    print(rk_nodeenv_version)
