"""Audience: who a targeting would reach (audience-svc)."""
