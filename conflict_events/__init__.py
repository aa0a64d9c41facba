"""Conflict Events API: armed-conflict events with their claims, sources and verification."""

__version__ = "0.1.0"
