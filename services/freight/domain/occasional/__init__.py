"""Hub mode of the freight exchange: parcels leave the hub either on the hub's own
capacitated tours or with an *occasional driver* who drives from the hub to their
own destination anyway and takes one parcel for a compensation (the vehicle
routing problem with occasional drivers, VRPOD; Archetti, Savelsbergh and
Speranza, EJOR 2016).

- `instance`: the hub, its customers, the vehicle capacity, the occasional drivers
  with their eligible customers and compensations (plain values, no file format).
- `plan`: a plan (tours plus hand-overs to drivers) and `evaluate`, its cost and
  every rule it breaks.
- `solver`: finds a cheap plan within a wall-clock budget: `ruin` (ruin and
  recreate with simulated annealing) and `reassign` (the exact choice of hand-overs
  for given tours, OR-Tools CP-SAT); an OR-Tools routing model for comparison.
"""

from .instance import Customer, HubInstance, OccasionalDriver
from .plan import Evaluation, HubPlan, InfeasiblePlan, evaluate, require_feasible
from .solver import PORTFOLIO, HubStrategy, solve

__all__ = [
    "Customer",
    "Evaluation",
    "HubInstance",
    "HubPlan",
    "HubStrategy",
    "InfeasiblePlan",
    "OccasionalDriver",
    "PORTFOLIO",
    "evaluate",
    "require_feasible",
    "solve",
]
