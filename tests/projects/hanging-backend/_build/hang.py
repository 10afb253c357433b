"""A build backend that never answers."""

import time


def get_requires_for_build_wheel(config_settings=None):
    time.sleep(600)
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    time.sleep(600)
    return ""
