"""Consortium layer models (directory, agreements, referrals, aggregates) come with their issue."""
