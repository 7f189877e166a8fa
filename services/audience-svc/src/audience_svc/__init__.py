"""audience-svc."""
