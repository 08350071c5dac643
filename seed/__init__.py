"""The synthetic city generator: demo firms, institutions, products (and later department data)."""
