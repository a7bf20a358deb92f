"""Recommendations: model versions and artifacts, training snapshots, serving the mix."""
