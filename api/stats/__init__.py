"""GraphQL of listening statistics: myStats and overallStats."""
