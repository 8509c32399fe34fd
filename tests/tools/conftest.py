"""The predictor-test fixtures (tests/predictor_fixtures.py) for the prediction CLIs' tests."""
from tests.predictor_fixtures import *  # noqa: F401,F403  (imported fixtures are registered here)
