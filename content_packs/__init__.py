"""content_packs."""
