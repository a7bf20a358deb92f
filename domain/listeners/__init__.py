"""Similar listeners: each user's nearest neighbours by listening, stored by ``jobs.similar_users``."""
