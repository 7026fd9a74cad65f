"""Pure rules of the pick-up service: no Kafka, Redis, HTTP or Faust in here.

- `points`: pick-up points, their compartments and opening days; the point read model.
- `allocation`: which compartments hold an order's goods on its day; reservation statuses.
- `deposit`: whether a parcel may go in, where, until when.
- `codes`: PINs and QR payloads, and their keyed hashes.
- `collection`: opening with a code once, locking after wrong codes; what the terminal is told.
- `rate_limit`: code attempts per parcel and per terminal in a window.
- `expiry`: the deadline, and what the expiry job does with a due parcel.
- `parcels`: a deposited parcel's record (the hash the service keeps).
- `notices`: what residents and operators are told.
"""
