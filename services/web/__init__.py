"""The web front: the pages residents, assistants, shops, drivers, operators, freight
participants and municipalities use, in German with an English switch.

It renders pages on the server (Jinja2, a little htmx) and talks only to the
services' APIs, with a short-lived token minted for the signed-in person, so every
rule the APIs enforce holds here too. It reads and writes no topic: every event
it causes is published by the service whose API it called. Its own records are its sign-in: staff accounts
(argon2id hashes) and sessions, in Redis under `web:`. Browser assets come from its
own npm install (services/web/node_modules), never from a CDN.
"""
