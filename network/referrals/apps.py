from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """The NGO's side of referrals, in its own schema: its key pairs, referrals sent and
    received with their history, and the outbox that delivery drains."""

    name = "network.referrals"
    label = "referrals"
    verbose_name = "Referrals (inside an NGO)"
