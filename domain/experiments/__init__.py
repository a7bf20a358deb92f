"""Online experiments: recommendation impressions and the per-arm report."""
