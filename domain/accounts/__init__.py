"""Accounts: users, sign-up and log-in rules, passwords, tokens, throttling, age groups."""
