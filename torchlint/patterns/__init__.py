"""Syntactic patterns that more than one rule reads."""
