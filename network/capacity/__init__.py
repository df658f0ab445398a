"""Capacity building: the coordinating centre's own work with its partner NGOs (public schema).

Trainings (who came from which NGO), mentoring visits to one NGO with the actions agreed there
and their follow-up (an open action past its due date is overdue), and each NGO's yearly
self-assessment on a fixed scorecard. Writes are `services`, reads `selectors`, who may do what
`access`; the coordinator console, the coordinator API and the NGO's own history page call
them. Nothing here enters a tenant schema or holds any child's data.
"""
