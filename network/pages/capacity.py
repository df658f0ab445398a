"""The NGO's capacity-building history on its own host: read only, for its admin.

Only this NGO's rows (`network.capacity.selectors.ngo_history` of the host's own tenant): the
trainings its staff attended, its mentoring visits with the agreed actions and their follow-up,
and its self-assessments by year. Other roles get the staff gate's 403 page.
"""

from __future__ import annotations

from casework.views._base import _render, staff_required
from network.capacity import access, selectors


@staff_required
def capacity_history(request):
    """What the coordinating centre recorded with this NGO."""
    access.require_history_reader(request.user)
    history = selectors.ngo_history(ngo=request.tenant)
    return _render(request, "network/capacity.html", {"history": history})
