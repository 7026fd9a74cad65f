"""The pick-up worker as the tests run it: the service's own build_app, with the
consumer group (app id) a test chooses, so it reads every topic from the start
without sharing offsets with any other worker.

    PICKUP_TEST_APP_ID=pickup-test-1234 python -m tests.integration.pickup_worker_process
"""

from __future__ import annotations

import os

from nahnetz.messaging.faust_app import run_worker
from services.pickup.worker import build_app

if __name__ == "__main__":
    run_worker(build_app(app_id=os.environ["PICKUP_TEST_APP_ID"]))
