"""The job client: queues, enqueueing and job status (RQ or in-process), and job state."""
