"""Test helpers shared by every test folder: data builders, a GraphQL client, dataset paths."""
