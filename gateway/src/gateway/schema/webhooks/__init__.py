"""Outbound webhooks: a clinic's endpoints for chosen events and their deliveries."""
