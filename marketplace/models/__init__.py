"""SQLAlchemy models, one module per area; importing this package registers them all."""
from .accounts import FormSubmission, User
from .credit_data import (
    CustomsCertification,
    ImportBatch,
    ListEntry,
    Penalty,
    ProvidentFundRecord,
    RegistryCodeFinding,
    RegistryEnterprise,
    RegistryStatusChange,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    UtilityRecord,
)
from .enterprises import Enterprise, IdentityCheck
from .figures import FigureCacheEntry, FigureGeneration, FigureInvalidation
from .financing import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    FinancingNeed,
    LoanInstalment,
    LoanRepayment,
    OffPlatformLoan,
)
from .governance import (
    AccessLog,
    ApiKey,
    AuditLog,
    CityFigure,
    CompensationClaim,
    CompensationEnrolment,
    CompensationFund,
    CreditRepair,
    DataAuthorization,
    JointCase,
    Notification,
    Objection,
    PersonListEntry,
    RecordCorrection,
    RedListIncentive,
    ShareBatch,
    SharedRecord,
)
from .institutions import Institution, Product
from .jobs import Job
from .scores import CurrentScore, EnterpriseScore, ModelActivation

__all__ = [
    # accounts, enterprises, institutions
    "User", "FormSubmission", "Enterprise", "IdentityCheck", "Institution", "Product",
    # credit_data: department records
    "ImportBatch", "RegistryEnterprise", "TaxRecord", "TaxGrade", "SocialInsuranceRecord", "ProvidentFundRecord",
    "UtilityRecord", "Penalty", "ListEntry", "RegistryCodeFinding", "CustomsCertification", "RegistryStatusChange",
    # financing
    "FinancingNeed", "Application", "ApplicationEvent", "CreditCommitment", "LoanRepayment", "LoanInstalment",
    "OffPlatformLoan",
    # governance
    "AccessLog", "ApiKey", "AuditLog", "CityFigure", "DataAuthorization", "Notification", "Objection", "ShareBatch",
    "SharedRecord", "RecordCorrection", "CreditRepair", "PersonListEntry", "RedListIncentive", "JointCase",
    "CompensationFund", "CompensationEnrolment", "CompensationClaim",
    # scores
    "EnterpriseScore", "CurrentScore", "ModelActivation",
    # background jobs
    "Job",
    # the closed-period figure cache
    "FigureCacheEntry", "FigureGeneration", "FigureInvalidation",
]
