"""Database: engine and sessions, the declarative base, the local cluster, migrations."""
