"""SQLAlchemy models, one module per area; importing this package registers them all."""
from .accounts import User
from .enterprises import Enterprise
from .financing import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    FinancingNeed,
    LoanRepayment,
    OffPlatformLoan,
)
from .governance import AccessLog, ApiKey, DataAuthorization, Notification
from .institutions import Institution, Product
from .scores import EnterpriseScore

__all__ = ["User", "Enterprise", "Institution", "Product", "FinancingNeed", "Application", "ApplicationEvent",
           "CreditCommitment", "LoanRepayment", "OffPlatformLoan", "AccessLog", "ApiKey", "DataAuthorization",
           "Notification", "EnterpriseScore"]
