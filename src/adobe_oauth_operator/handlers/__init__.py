"""Thin kopf wiring: read, decide, act, patch status."""
