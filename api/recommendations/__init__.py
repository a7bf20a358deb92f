"""GraphQL of recommendations: recommendations, similarTracks and engines."""
