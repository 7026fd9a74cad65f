"""Hub service (Logistikport HX): turns confirmed orders into shipments, follows
them through the tours and keeps the hub's stock by destination and day."""
