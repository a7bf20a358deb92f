"""Accounts and access: password rules and hashing, bearer tokens, log-in throttling,
GraphQL permissions and the demo logins."""
