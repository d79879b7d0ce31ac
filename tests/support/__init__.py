"""Helpers shared by test modules: generated media and other fixtures' building blocks."""
