"""A separate Django project that is a real OpenID provider (django-oidc-provider).

``tests/users/test_oidc.py`` starts it in a subprocess on a free port, with its own SQLite
database, and drives kam's sign-in through it over real HTTP.
"""
