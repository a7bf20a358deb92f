"""GraphQL of the listening log: recordPlay and recordPlays."""
