"""GraphQL of the catalog: Track, Artist, Genre types, catalog queries and DataLoaders."""
