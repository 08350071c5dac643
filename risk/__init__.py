"""The credit-risk engine: features from department tables, a LightGBM model, grades, reasons, registry.

Depends on pandas / numpy / LightGBM / scikit-learn only — never on Flask or the marketplace package.
"""
