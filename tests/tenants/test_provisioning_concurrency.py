"""Two onboardings of the same slug at the same moment (two coordinators, two tabs): one NGO,
and the other gets the ordinary "slug taken" answer, never a 500."""

import threading

from django.db import connections

from core.errors import ConflictError
from tenants.models import NGO
from tenants.services import ngo_provision


def test_the_same_slug_onboarded_twice_at_once_makes_one_ngo(committed_db, consortium):
    barrier = threading.Barrier(2)
    outcomes: list = []

    def onboard(number: int) -> None:
        try:
            barrier.wait()
            result = ngo_provision(
                actor=None,
                consortium=consortium,
                slug="kembar-dua",
                name=f"Yayasan Kembar {number}",
                admin_email=f"admin{number}@kembar.example.org",
            )
            outcomes.append(("created", result.ngo.slug))
        except ConflictError as error:
            outcomes.append((error.code, error.fields))
        except Exception as error:  # noqa: BLE001 - the test reports whatever else happened
            outcomes.append(("unexpected", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=onboard, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted(
        [("created", "kembar-dua"), ("slug_taken", {"slug": ["This slug is already taken."]})],
        key=str,
    )
    assert NGO.objects.filter(slug="kembar-dua", is_ready=True).count() == 1
