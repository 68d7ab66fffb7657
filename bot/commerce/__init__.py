"""The shop's business: catalog, search, cart, checkout, orders, payments, invoices, tracking."""
