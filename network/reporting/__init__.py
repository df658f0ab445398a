"""Consortium reporting: the indicator registry, small-cell suppression, its LP audit and the
record linkage that counts children served by more than one partner NGO.

Pure modules: nothing here reads a tenant schema (the rollup that counts each NGO's cases comes
with the aggregate table). What a coordinator or funder sees passes through
`suppression.suppress`; `audit.audit_table` checks a published table independently of it.
"""
