"""Shared primitives every app may use: the error family, audit base pieces, the clock.

`core` imports nothing of the project's apps nor of the project package `ngo_platform`.
"""
