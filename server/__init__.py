"""Bosai server: the Litestar application, its features, the database and the ``bosai`` command."""

__version__ = "0.1.0"
