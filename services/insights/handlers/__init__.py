"""What applies the topics' events to the insights state in Redis.

- `cells`: writing a fold's changes (counters, samples, day indexes) in one transaction.
- `events`: one handler per topic family; each runs its fold once per event id
  (`ProcessedMarkers.apply`: the changes and the marker in one MULTI/EXEC), so a
  redelivered event changes nothing.
- `places`: pick-up points and shops as the figures need them (area, compartments, hours).

What the readers use beside the domain:
- `areas`: the region pack's villages and municipalities; the place of a freight origin.
- `reach`: straight-line distances from villages to pick-up points and shops (`nahnetz.geo`).
- `export`: the CSV file (`defusedcsv`), in German or international style.
- `geojson`, `ngsi_ld`: the figures as GeoJSON for maps and as NGSI-LD entities of the FIWARE
  Smart Data Model KeyPerformanceIndicator for urban data platforms.
- `report`: the monthly report for the council, an A4 HTML page with SVG charts (Jinja2,
  `templates/report.html.j2`).
"""
