"""Code shared by every part of the re-engagement system: the event contract and its plumbing."""
