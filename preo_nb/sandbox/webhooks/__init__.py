"""Webhook endpoints, the deliveries of emitted events, and a receiver to rehearse with."""
