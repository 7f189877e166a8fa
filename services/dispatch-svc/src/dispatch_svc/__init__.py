"""dispatch-svc."""
