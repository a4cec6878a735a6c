"""Deterministic demo data (random seed 42) that reproduces the papers' figures; tests use the same generator."""

from seed.load import generate, load_demo

__all__ = ["generate", "load_demo"]
