"""How `./run-tests` spreads the tests over two processes (tests/scheduling.py): the
units that start whole stacks run one after the other in one process, the lane."""

from __future__ import annotations

from scheduling import next_unit, unit_of

WAITING = ["tests/integration/test_messaging.py", "tests/browser/", "tests/unit/test_web_basket.py",
           "tests/e2e/", "tests/integration/test_stack.py", "tests/unit/test_routing_fleet_rules.py"]


def test_the_e2e_and_browser_packages_go_whole_every_other_file_alone():
    assert unit_of("tests/e2e/test_order_flow.py::test_x") == "tests/e2e/"
    assert unit_of("tests/browser/test_shop_journey.py::test_y[de]") == "tests/browser/"
    assert unit_of("tests/integration/test_stack.py::test_z") == "tests/integration/test_stack.py"
    assert unit_of("tests/unit/test_web_basket.py::test_a[1-2]") == "tests/unit/test_web_basket.py"


def test_the_lane_takes_the_solver_tests_first_then_the_stacks_in_order():
    waiting, taken = list(WAITING), []
    while any(u.startswith(("tests/unit/test_routing_", "tests/integration/test_stack.py", "tests/e2e/",
                            "tests/browser/")) for u in waiting):
        taken.append(next_unit(waiting, for_lane=True))
        waiting.remove(taken[-1])
    assert taken == ["tests/unit/test_routing_fleet_rules.py", "tests/integration/test_stack.py", "tests/e2e/",
                     "tests/browser/"]
    # With its own units done, the lane helps with the rest.
    assert next_unit(waiting, for_lane=True) == "tests/integration/test_messaging.py"


def test_the_other_process_takes_the_rest_first_and_a_stack_unit_only_from_the_back():
    waiting, taken = list(WAITING), []
    for _ in range(3):
        taken.append(next_unit(waiting, for_lane=False))
        waiting.remove(taken[-1])
    assert taken == ["tests/integration/test_messaging.py", "tests/unit/test_web_basket.py", "tests/browser/"]
