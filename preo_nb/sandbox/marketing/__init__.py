"""Consents, segments (with their CEL conditions) and campaigns."""
