"""Event contracts beyond encoding: compatibility with the schemas' git history
(`nahnetz schemas check`, `nahnetz schemas release`) and the generated event
catalogue (`nahnetz schemas catalogue`)."""
