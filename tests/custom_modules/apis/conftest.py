"""The predictor-test fixtures (tests/predictor_fixtures.py) for the tests in this folder."""
from tests.predictor_fixtures import *  # noqa: F401,F403  (imported fixtures are registered here)
