"""Campaigns: definitions and their lifecycle (campaign-svc)."""
