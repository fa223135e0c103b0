"""The shared fixtures live in tests/fixtures, loaded here as plugins: the database (rolled back after
each test), the app (one for the run, re-bound per test), clients, factories, applications, permits,
representatives, an SMTP server, the browser and the live server. Runs on SQLite by default, on
PostgreSQL when LBT_TEST_DATABASE_URL is set."""

# a module comes after those it imports (pytest rewrites the asserts of a plugin only before its import)
pytest_plugins = [
    "tests.fixtures.passwords",
    "tests.fixtures.two_factor",
    "tests.fixtures.database",
    "tests.fixtures.clients",
    "tests.fixtures.factories",
    "tests.fixtures.app",
    "tests.fixtures.applications",
    "tests.fixtures.permits",
    "tests.fixtures.representatives",
    "tests.fixtures.smtp",
    "tests.fixtures.browser",
]
