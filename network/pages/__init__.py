"""The NGO host's pages of the referral network (issue 8): the inbox and sent lists, the
referral page with its timeline and actions, the refer form reached from the case page, the
printable letter, the agency directory with proposals, the NGO's own agreements, and (for its
admin) its capacity-building history.

They render inside casework's layout and call network's services and selectors; casework shows
their panels through its settings hooks (CASE_PAGE_PANELS, HOME_PAGE_PANELS, CASEWORK_NAV_ITEMS)."""
