"""SQLAlchemy models, one module per area; importing this package registers them all."""
from .accounts import FormSubmission, User
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
from .financing import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    FinancingNeed,
    LoanRepayment,
    OffPlatformLoan,
)
from .governance import (
    AccessLog,
    ApiKey,
    AuditLog,
    CityFigure,
    DataAuthorization,
    Notification,
    Objection,
    ShareBatch,
    SharedRecord,
)
from .institutions import Institution, Product
from .scores import EnterpriseScore

__all__ = [
    # accounts, enterprises, institutions
    "User", "FormSubmission", "Enterprise", "Institution", "Product",
    # credit_data: department records
    "ImportBatch", "RegistryEnterprise", "TaxRecord", "TaxGrade", "SocialInsuranceRecord", "ProvidentFundRecord",
    "UtilityRecord", "Penalty", "ListEntry",
    # financing
    "FinancingNeed", "Application", "ApplicationEvent", "CreditCommitment", "LoanRepayment", "OffPlatformLoan",
    # governance
    "AccessLog", "ApiKey", "AuditLog", "CityFigure", "DataAuthorization", "Notification", "Objection", "ShareBatch",
    "SharedRecord",
    # scores
    "EnterpriseScore",
]
