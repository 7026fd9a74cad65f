"""The web front's I/O: sessions and accounts in its own Redis keys, calls to the APIs, pages."""
