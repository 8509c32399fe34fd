"""The data-test fixtures (tests/data_fixtures.py) for the tests in this folder."""
from tests.data_fixtures import *  # noqa: F401,F403  (imported fixtures are registered here)
