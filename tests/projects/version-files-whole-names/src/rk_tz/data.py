"""The data's versions: the Olson database's, and this package's."""

OLSON_VERSION = "2024a"
VERSION = "1.2.3"
