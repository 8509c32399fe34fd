"""Registered podium engine pieces; importing this package registers them."""
from . import hooks  # noqa: F401  (registration)
