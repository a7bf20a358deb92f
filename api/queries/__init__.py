"""Query resolvers, grouped per domain."""
