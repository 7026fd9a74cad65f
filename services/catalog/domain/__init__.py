"""The catalog's pure core: no Kafka, Redis, HTTP or Faust in here.

- `money`: prices, VAT rates, weights and volumes as people write them.
- `vocabulary`: German and English words for categories and temperature classes.
- `products`: a listing and its rules; `shops`: a profile, opening hours.
- `csv_import`: a shop's product list as a CSV file, with a report per line.
- `stock`: reserve, release and adjust the stock of one product.
- `search`: tokens, umlaut folding and the terms of the inverted index.
"""
