"""Registered podium pieces; importing this package registers them."""
