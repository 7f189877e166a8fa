"""Saved audiences: targetings kept by name and reused by campaigns."""
