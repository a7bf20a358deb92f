"""The domain layer: tables, sessions, settings and rules that the API and the jobs share.

One package per area (catalog, accounts, playlists, plays, charts, stats, recommendations,
jobs), each with its tables and data access; ``api/`` resolvers and ``jobs/`` both call it,
and it imports neither of them."""
