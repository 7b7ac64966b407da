from origination.models.batches import Batch, BatchRow, BatchRowError, BatchStatusChange, UploadJob
from origination.models.compensation import (
    AnchorPayment,
    AnchorPaymentLine,
    AnchorRecovery,
    CompensationDemand,
    WriteOff,
)
from origination.models.loans import CreditLimit, CreditLimitChange, Loan, LoanDue, LoanEntry, Repayment
from origination.models.whitelist import Notification, WhitelistEntry

__all__ = [
    "AnchorPayment",
    "AnchorPaymentLine",
    "AnchorRecovery",
    "Batch",
    "BatchRow",
    "BatchRowError",
    "BatchStatusChange",
    "CompensationDemand",
    "CreditLimit",
    "CreditLimitChange",
    "Loan",
    "LoanDue",
    "LoanEntry",
    "Notification",
    "Repayment",
    "UploadJob",
    "WhitelistEntry",
    "WriteOff",
]
