"""The routing worker's handlers, each taking its dependencies as arguments.

- `projections`: shipments, cancellations and tour progress in routing's own keys
- `plans`: plan requests claimed once, solved in a process pool, answered once, recovered
- `read_model`: the plans' read model the API answers from
"""
