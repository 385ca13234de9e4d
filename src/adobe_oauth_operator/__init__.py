"""Kubernetes operator that rotates Adobe OAuth Server-to-Server client secrets without downtime."""

from importlib.metadata import PackageNotFoundError, version

# pyproject.toml's version is the one place a version is set (hack/set-version stamps the rest).
try:
    __version__ = version("adobe-oauth-operator")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0+unknown"
