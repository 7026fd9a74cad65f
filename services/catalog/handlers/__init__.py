"""Apply events and commands to the domain and to Redis. Every function takes
its dependencies (Redis, the event producer) as arguments, so the worker, the
API and the tests wire them the same way. One module per incoming event family:

- `order_requests`: OrderPlaced / OrderRejected / OrderCancelled / OrderExpired /
  OrderCollected on orders.orders, copied to catalog.stock-requests once per
  product (step 2 and 5 of the order flow, and the sale).
- `stock_decisions`: catalog.stock-requests; the owner of a product's partition
  reserves, releases or sells its stock per order (StockReserved / StockRejected /
  StockReleased / StockSold), through the Outbox.
- `product_projection`: catalog.products into the product read model, the search
  index, and the stock a listing starts with or a shop adjusts.
- `shop_projection`: catalog.shops into the shop read model and the places index;
  a closure delists the shop's goods.
- `commands`: what the API's writes turn into (events on catalog.shops / catalog.products).
"""
