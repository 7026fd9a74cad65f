"""The freight exchange's rules, pure: no Redis, Kafka, HTTP.

- `offers`: a trip with spare room, a load looking for a ride.
- `routes`: whether (and how) one trip can carry a bundle of loads.
- `matching`: which loads go on which trips (OR-Tools CP-SAT).
- `footprint`: the kilometres and CO2 a match saves against a dedicated trip.
"""
