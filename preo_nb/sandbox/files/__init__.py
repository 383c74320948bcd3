"""The organizations' media library and data imports of orders sold elsewhere."""
