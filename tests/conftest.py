"""Shared pytest setup: make tests/pylib importable for every tier."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pylib"))
