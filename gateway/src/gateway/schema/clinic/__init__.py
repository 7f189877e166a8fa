"""The clinic profile (campaign-svc keeps it)."""
