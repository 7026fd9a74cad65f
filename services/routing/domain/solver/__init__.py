"""Tour optimisation for the logistics hub, independent of Kafka and HTTP.

    problem = Problem(locations=..., matrix=..., vehicles=..., jobs=...)
    solution = solve(problem)                                 # in this process
    solution = await solve_in_pool(pool, problem)             # off the event loop
    solution = await solve_in_pool(pool, problem, PORTFOLIO)  # two searches, best kept
    violations = check_solution(problem, solution)            # independent of OR-Tools

`model` is the input and output vocabulary, `solve` the OR-Tools model, and
`checker` an independent re-check of every constraint.
"""

from .checker import Violation, check_solution, recompute_distance
from .model import (DEFAULT_RELOAD_S, BreakRule, DroppedJob, DropReason, FixedPrefix, Job, JobKind, Location, Problem, ScheduledStop,
                    Solution, SolveStatus, Stop, StopKind, StopRef, TemperatureClass, TimeWindow, Tour,
                    TravelMatrix, Vehicle)
from .solve import DEFAULT_STRATEGY, PORTFOLIO, SearchStrategy, best_of, solve, solve_in_pool

__all__ = ["DEFAULT_RELOAD_S", "DEFAULT_STRATEGY", "PORTFOLIO", "BreakRule", "DropReason", "DroppedJob", "FixedPrefix", "Job", "JobKind",
           "Location", "Problem", "ScheduledStop", "SearchStrategy", "Solution", "SolveStatus", "Stop",
           "StopKind", "StopRef", "TemperatureClass", "TimeWindow", "Tour", "TravelMatrix", "Vehicle",
           "Violation", "best_of", "check_solution", "recompute_distance", "solve", "solve_in_pool"]
