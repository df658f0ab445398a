"""The demo consortium: synthetic NGOs, staff and children for `make run` and `seed_demo`.

Loaded only by the `seed_demo` command (and `make run`); needs the `demo` extra (Faker), which
production images do not install.
"""
