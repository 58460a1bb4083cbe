"""A family kept outside the library: what a user's own family looks like.

`tests/test_toy_family.py` registers it at run time and drives it through
the ordinary entry points, so no shared module of the library names it.
"""
