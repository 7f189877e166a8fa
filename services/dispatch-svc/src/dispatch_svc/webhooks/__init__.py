"""Outbound webhooks: endpoints a clinic registers, and the signed deliveries they receive."""
