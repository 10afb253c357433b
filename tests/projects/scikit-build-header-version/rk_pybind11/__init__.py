"""Headers for C++ bindings."""
