"""GraphQL gateway."""
