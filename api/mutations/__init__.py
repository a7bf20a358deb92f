"""GraphQL mutations, one small module per domain."""
