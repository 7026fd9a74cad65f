"""The web front's pure rules: languages, accounts and passwords, the basket, charts."""
