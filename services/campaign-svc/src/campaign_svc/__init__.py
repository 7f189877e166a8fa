"""campaign-svc."""
