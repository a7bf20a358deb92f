"""The listening log: recording plays and the JSON event log."""
