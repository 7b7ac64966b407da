"""The chart of accounts (会计科目) this system books to, and how each ledger movement is posted.

Every movement of the application's ledgers becomes one double entry: a debit and a credit of the
same amount. ``POSTINGS`` says which, keyed by (ledger, kind): ``loan`` is a loan's ledger
(``origination.LoanEntry.kind``), ``margin`` the anchors' margin ledger (``partners.MarginEntry.kind``).
A kind of movement that is not in ``POSTINGS`` refuses the day's journal (``unmapped_ledger_kind``):
a movement the general ledger never sees would leave it out of balance with the loans, silently.
So a new kind of movement (a write-off, a recovery, an anchor's payment) is one line here.

The codes follow the layout of the Ministry of Finance's chart for banks (1 assets, 2 liabilities,
6 income); the bank's general-ledger team maps them onto its own sub-accounts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    code: str
    name: str  # as the general ledger names it: the file carries it in Chinese, whatever the page's language


LOANS = Account("130101", "贷款-供应链普惠贷款本金")
INTEREST_RECEIVABLE = Account("113201", "应收利息-贷款利息")
PENALTY_RECEIVABLE = Account("113202", "应收利息-罚息")
COMPENSATION_RECEIVABLE = Account("122101", "其他应收款-应收代偿款")
BORROWER_DEPOSITS = Account("201101", "单位及个人活期存款-借款人结算账户")
ANCHOR_DEPOSITS = Account("201102", "单位活期存款-龙头企业结算账户")
MARGIN_DEPOSITS = Account("251101", "保证金存款-龙头企业代偿保证金")
INTEREST_INCOME = Account("601101", "利息收入-贷款利息收入")
PENALTY_INCOME = Account("601102", "利息收入-罚息收入")
# A loss written off (核销) is charged to the reserve.
LOAN_LOSS_RESERVE = Account("130401", "贷款损失准备")

ACCOUNTS: tuple[Account, ...] = (
    LOANS,
    INTEREST_RECEIVABLE,
    PENALTY_RECEIVABLE,
    LOAN_LOSS_RESERVE,
    COMPENSATION_RECEIVABLE,
    BORROWER_DEPOSITS,
    ANCHOR_DEPOSITS,
    MARGIN_DEPOSITS,
    INTEREST_INCOME,
    PENALTY_INCOME,
)


@dataclass(frozen=True)
class Posting:
    debit: Account
    credit: Account
    summary: str  # the voucher's 摘要, in Chinese as the general ledger keeps it


LOAN_LEDGER = "loan"
MARGIN_LEDGER = "margin"
ANCHOR_PAYMENT_LEDGER = "anchor_payment"  # the anchor's payments from its own funds, once checked and applied

POSTINGS: dict[tuple[str, str], Posting] = {
    (LOAN_LEDGER, "disbursement"): Posting(LOANS, BORROWER_DEPOSITS, "发放贷款"),
    (LOAN_LEDGER, "interest_charge"): Posting(INTEREST_RECEIVABLE, INTEREST_INCOME, "计提贷款利息"),
    (LOAN_LEDGER, "penalty_charge"): Posting(PENALTY_RECEIVABLE, PENALTY_INCOME, "计提罚息"),
    (LOAN_LEDGER, "repaid_penalty"): Posting(BORROWER_DEPOSITS, PENALTY_RECEIVABLE, "借款人归还罚息"),
    (LOAN_LEDGER, "repaid_interest"): Posting(BORROWER_DEPOSITS, INTEREST_RECEIVABLE, "借款人归还利息"),
    (LOAN_LEDGER, "repaid_principal"): Posting(BORROWER_DEPOSITS, LOANS, "借款人归还本金"),
    # The anchor pays for its farmer: what the loan is owed moves to a receivable from the anchor, which
    # the margin deduction of the same day (below) settles; what the margin cannot cover is no movement.
    (LOAN_LEDGER, "compensated_penalty"): Posting(COMPENSATION_RECEIVABLE, PENALTY_RECEIVABLE, "代偿罚息"),
    (LOAN_LEDGER, "compensated_interest"): Posting(COMPENSATION_RECEIVABLE, INTEREST_RECEIVABLE, "代偿利息"),
    (LOAN_LEDGER, "compensated_principal"): Posting(COMPENSATION_RECEIVABLE, LOANS, "代偿本金"),
    (MARGIN_LEDGER, "deposit"): Posting(ANCHOR_DEPOSITS, MARGIN_DEPOSITS, "龙头企业缴存保证金"),
    (MARGIN_LEDGER, "withdrawal"): Posting(MARGIN_DEPOSITS, ANCHOR_DEPOSITS, "龙头企业支取保证金"),
    (MARGIN_LEDGER, "deduction"): Posting(MARGIN_DEPOSITS, COMPENSATION_RECEIVABLE, "扣划保证金代偿"),
    # The anchor pays from its own account: the compensated entries of the same day (above) are settled by
    # its transfer instead of its margin.
    (ANCHOR_PAYMENT_LEDGER, "applied"): Posting(ANCHOR_DEPOSITS, COMPENSATION_RECEIVABLE, "龙头企业自有资金代偿"),
    # The farmer pays back what the anchor paid for him (追偿): to the anchor's account. Where it restores a
    # margin deduction, the margin ledger's deposit of the same day (above) moves it on into the margin.
    (LOAN_LEDGER, "recovered_for_anchor"): Posting(BORROWER_DEPOSITS, ANCHOR_DEPOSITS, "借款人归还龙头企业代偿款"),
    # Write-off (核销): each receivable written off is charged to the loan-loss reserve, and money recovered
    # afterwards goes back to it.
    (LOAN_LEDGER, "written_off_principal"): Posting(LOAN_LOSS_RESERVE, LOANS, "核销贷款本金"),
    (LOAN_LEDGER, "written_off_interest"): Posting(LOAN_LOSS_RESERVE, INTEREST_RECEIVABLE, "核销应收利息"),
    (LOAN_LEDGER, "written_off_penalty"): Posting(LOAN_LOSS_RESERVE, PENALTY_RECEIVABLE, "核销应收罚息"),
    (LOAN_LEDGER, "recovered_written_off"): Posting(BORROWER_DEPOSITS, LOAN_LOSS_RESERVE, "核销后收回"),
}
