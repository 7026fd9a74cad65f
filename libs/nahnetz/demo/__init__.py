"""The demo: a seeded Kreis Höxter at work, driven only through the services'
public HTTP APIs (what a shop, an assistant and a resident would do).

`nahnetz up` runs `python -m nahnetz.demo` once every service is ready, with
NAHNETZ_URL_<SERVICE> naming each API.
"""
