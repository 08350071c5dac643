"""SQLAlchemy models, one module per area; importing this package registers them all."""
from .accounts import User
from .credit_data import (
    ImportBatch,
    ListEntry,
    Penalty,
    ProvidentFundRecord,
    RegistryEnterprise,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    UtilityRecord,
)
from .enterprises import Enterprise
from .financing import FinancingNeed
from .governance import AuditLog, CityFigure
from .institutions import Institution, Product

__all__ = ["User", "Enterprise", "Institution", "Product", "FinancingNeed", "ImportBatch", "RegistryEnterprise",
           "TaxRecord", "TaxGrade", "SocialInsuranceRecord", "ProvidentFundRecord", "UtilityRecord", "Penalty",
           "ListEntry", "AuditLog", "CityFigure"]
