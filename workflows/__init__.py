"""Prefect flows: thin wrappers that call the same services people use, with actor = system."""
