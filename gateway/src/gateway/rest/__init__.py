"""The spec's REST paths: thin handlers over the same operations the GraphQL resolvers call."""
