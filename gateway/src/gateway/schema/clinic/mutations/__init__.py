"""Clinic profile mutations, one file each."""
