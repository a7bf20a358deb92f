"""GraphQL of jobs for admins (enqueue, status) and the rq-dashboard mount."""
