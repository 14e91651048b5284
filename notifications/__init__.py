"""Delivery channels (in-app inbox, e-mail, webhook) and the Chinese message templates."""
