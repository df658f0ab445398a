"""The coordinator console on the public host (BASE_DOMAIN): member NGOs, the agency directory,
referral agreements, referral metadata and capacity building. Every page goes through
`network.access` and calls the network and tenancy services and selectors (the API calls the
same)."""
