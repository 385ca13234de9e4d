"""Kubernetes operator that rotates Adobe OAuth Server-to-Server client secrets without downtime."""

__version__ = "0.1.0"
