"""GraphQL of playlists: Playlist types, queries, mutations, loaders and permission."""
