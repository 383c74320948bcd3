"""Editions, orders, purchases, customers, refund requests and the caller (``auth/me``)."""
