"""The clinic profile: one per clinic, kept by campaign-svc, snapshotted into each launch."""
