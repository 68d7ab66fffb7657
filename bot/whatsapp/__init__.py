"""The edge to Meta: webhook, inbound events, message types, outbox and sender."""
