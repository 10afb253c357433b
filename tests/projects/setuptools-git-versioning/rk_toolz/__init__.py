"""Functional tools."""
