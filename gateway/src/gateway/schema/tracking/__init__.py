"""Campaign results: stats and recipients (tracking-svc)."""
