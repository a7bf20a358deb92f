"""GraphQL of accounts: User, sign-up and log-in mutations, the viewer and permissions."""
