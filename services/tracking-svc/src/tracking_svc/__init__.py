"""tracking-svc."""
