"""Every code the application refuses with, in one place: ``{"code": …}`` of an API answer, the code of a
row error in a file, and the code shown on the refusal page.

``ErrorCode`` is a ``StrEnum``: a member is the very string it stands for, so ``exc.code ==
"limit_exceeded"`` holds and JSON, templates and the database see the same text as before.

Two kinds of codes live here:

- the contract's: named in ``docs/contract.md`` (a refusal's status and code, the drawdown's refusals, a
  file's and a row's codes). They never change. A few of them are promised there for features not built
  yet; nothing raises those until the feature is (they are marked below);
- ours (``INTERNAL_CODES``): the other refusals of the services, the pages and the framework, which the
  contract leaves to us ("we may offer more than it lists").

``tests/core/test_error_codes.py`` reads the contract and holds the two together: every code it names is a
member, every member is either named there or listed in ``INTERNAL_CODES``. A new code is therefore a
decision: it goes into the contract or into ``INTERNAL_CODES``.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A stable snake_case reason; the comment says when it is given."""

    # --- the contract's codes (docs/contract.md) ------------------------------------------------------------
    # Scope and roles
    NOT_FOUND = "not_found"  # 404: unknown, or outside the user's scope (an id in a path, a body or a filter)
    PERMISSION_DENIED = "permission_denied"  # 403: the user's role or reach may not do this
    MAKER_CHECKER = "maker_checker"  # 403: the checker would be the maker (approval, unfreeze, resume)
    # 401: the API token is older than API_TOKEN_TTL_HOURS
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a code, not a secret
    # Anchors and programmes
    INVALID_USCC = "invalid_uscc"  # a unified social credit code of the wrong form or check character
    ANCHOR_NOT_APPROVED = "anchor_not_approved"  # a programme for an anchor not yet approved
    MARGIN_INSUFFICIENT = "margin_insufficient"  # a withdrawal or a drawdown would leave less than the margin required
    # Batches
    DUPLICATE_FILE = "duplicate_file"  # 409: the same farmer list again for the programme (with ``batch``)
    NO_VALID_ROWS = "no_valid_rows"  # a farmer list or provider file of which no row can be used
    PROGRAM_SUSPENDED = "program_suspended"  # a batch, an approval or a drawdown in a suspended programme
    ROW_REFUSED = "row_refused"  # a decision granting a row that screening refused
    PROGRAM_CAP_EXCEEDED = "program_cap_exceeded"  # an approval would cross the programme's total cap
    # Drawdown, in the contract's order after program_suspended
    LIMIT_FROZEN = "limit_frozen"  # a drawdown on a frozen limit
    LIMIT_EXPIRED = "limit_expired"  # a drawdown on a limit no longer active or past its expiry
    TERM_TOO_LONG = "term_too_long"  # a term beyond the programme's maximum or the limit's expiry
    LIMIT_EXCEEDED = "limit_exceeded"  # a drawdown larger than what the limit has available
    # Repayments
    OVERPAYMENT = "overpayment"  # a repayment larger than what the loan owes today
    # Files as a whole
    FILE_REJECTED = "file_rejected"  # a file whose bad rows refuse it all (the org tree; ``errors`` lists them)
    FILE_TOO_LARGE = "file_too_large"  # more bytes, rows or values down the sheet than accepted
    TOO_MANY_COLUMNS = "too_many_columns"  # values in more than UPLOAD_MAX_COLUMNS columns
    NOT_A_TABLE = "not_a_table"  # not a readable CSV or XLSX table (empty, old Excel, broken, no values)
    UNREADABLE_ENCODING = "unreadable_encoding"  # a CSV neither UTF-8 nor plausible GB18030 (Big5 included)
    UNSAFE_FILE = "unsafe_file"  # a workbook with a DTD, non-UTF-8 XML, too many parts or inflating beyond its size
    # Rows and cells of files
    INVALID_AMOUNT = "invalid_amount"  # an amount that is no number, or not above zero where it must be
    AMOUNT_TOO_LARGE = "amount_too_large"  # an amount of more than 16 digits before the point
    DATE_OUT_OF_RANGE = "date_out_of_range"  # a real date outside the window a file's dates must lie in
    # a provider record (and, once the debit file is built, a core debit) whose key is stored with other content
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    WRONG_VALUE_DATE = "wrong_value_date"  # a core debit whose value date is not the business date (corebank)
    UNKNOWN_LOAN = "unknown_loan"  # a core debit naming no loan (corebank)

    # --- ours: the API and the framework ---------------------------------------------------------------------
    INVALID = "invalid"  # 400: the request's fields do not validate (with ``fields``)
    INVALID_JSON = "invalid_json"  # 400: a JSON body nested too deeply or not an object
    PARSE_ERROR = "parse_error"  # 400: a body that is not JSON at all (DRF's ParseError)
    BAD_REQUEST = "bad_request"  # 400: Django refused the request before any view (a malformed one)
    NOT_AUTHENTICATED = "not_authenticated"  # 401: no credentials (DRF's NotAuthenticated)
    AUTHENTICATION_FAILED = "authentication_failed"  # 401: an unknown token or a bad password (DRF's)
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405 (DRF's MethodNotAllowed)
    NOT_ACCEPTABLE = "not_acceptable"  # 406: no renderer for the Accept header (DRF's NotAcceptable)
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # 415: a body of a type no parser reads (DRF's)
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413: a provider push larger than accepted
    SERVER_ERROR = "server_error"  # 500 under /api/
    INTERNAL_ERROR = "internal_error"  # an upload job that failed for a reason other than a refusal
    CONFLICT = "conflict"  # 409: a concurrent write won (unique violation, serialisation failure, deadlock)
    BUSY = "busy"  # 409: the rows were held too long (lock or statement timeout); with Retry-After
    # --- ours: the data provider's push API ---
    UNKNOWN_PROVIDER = "unknown_provider"  # 401: a push from a provider unknown or inactive
    BAD_SIGNATURE = "bad_signature"  # 401: a push whose signature does not match its body
    STALE_REQUEST = "stale_request"  # 401: a push whose timestamp is too far from the server's clock
    REPLAYED_REQUEST = "replayed_request"  # 409: a push received before
    INVALID_PAYLOAD = "invalid_payload"  # a push body that is not an object with the expected list
    UNKNOWN_ANCHOR = "unknown_anchor"  # no anchor with this USCC (a push) or id (create_user --anchor)
    INVALID_PROVIDER_CODE = "invalid_provider_code"  # a provider code of the wrong form
    NAME_REQUIRED = "name_required"  # a provider without a name
    DUPLICATE_PROVIDER = "duplicate_provider"  # 409: a second provider with the same code
    # --- ours: the services' refusals ---
    BUSINESS_DATE_BACKWARDS = "business_date_backwards"  # the business date moved back once loans exist
    DAY_ALREADY_CLOSED = "day_already_closed"  # a business day closed a second time
    NOTHING_TO_CLOSE = "nothing_to_close"  # close_business_day --to a date not after the business date
    CLOSE_RUNNING = "close_running"  # a close started while another holds the close's database lock
    UNKNOWN_ROLE = "unknown_role"  # create_user with a role that does not exist
    # create_user without CREATE_USER_PASSWORD
    PASSWORD_REQUIRED = "password_required"  # noqa: S105 - a code, not a secret
    # a password Django's validators refuse
    INVALID_PASSWORD = "invalid_password"  # noqa: S105 - a code, not a secret
    INVALID_USERNAME = "invalid_username"  # a user name Django's validator refuses
    UNKNOWN_ORG_NODE = "unknown_org_node"  # create_user --org-node with a code no node has
    ANCHOR_REQUIRED = "anchor_required"  # an anchor operator without --anchor, or provider orders without an anchor
    ANCHOR_NOT_ALLOWED = "anchor_not_allowed"  # --anchor for a user who is not an anchor operator
    ORG_NODE_REQUIRED = "org_node_required"  # no node to attach an anchor or a user to
    INVALID_ORG_PARENT = "invalid_org_parent"  # a node created under a parent of the wrong level
    INVALID_ORG_CODE = "invalid_org_code"  # a node code with a "/"
    DUPLICATE_USCC = "duplicate_uscc"  # 409: a second anchor with the same credit code
    DUPLICATE_AGREEMENT = "duplicate_agreement"  # 409: a second agreement with the same number
    INVALID_DATES = "invalid_dates"  # an agreement that expires before it is signed
    DATE_IN_FUTURE = "date_in_future"  # an assessment or an outbreak dated after the business date
    INVALID_STATUS_CHANGE = "invalid_status_change"  # an anchor or programme status change its state forbids
    INVALID_STATUS = "invalid_status"  # a batch or margin entry not in the state the step needs
    INVALID_TEMPLATE = "invalid_template"  # an SMS template with an unknown variable, or too long
    INVALID_PARAMETER = "invalid_parameter"  # a programme's or warning rule's parameter unknown or out of range
    REASON_REQUIRED = "reason_required"  # a change that must say why, without a reason
    ASSESSMENT_REQUIRED = "assessment_required"  # resuming a programme without a risk assessment
    INVALID_REGION_CODE = "invalid_region_code"  # a region code that is not six digits (outbreak, farmer list)
    DISEASE_REQUIRED = "disease_required"  # an outbreak without a disease
    FILE_REQUIRED = "file_required"  # the provider page submitted without a file
    FARMER_LIST_REQUIRED = "farmer_list_required"  # a batch upload without its farmer list
    NO_DATA_ROWS = "no_data_rows"  # a table with a header and no data row
    NO_HEADER = "no_header"  # a table whose first row names none of the columns
    DUPLICATE_COLUMNS = "duplicate_columns"  # a table with two columns of the same heading
    MISSING_COLUMNS = "missing_columns"  # a table without a required column
    EXTRA_CELLS = "extra_cells"  # CSV rows with more cells than the header (an unquoted comma)
    AMOUNT_ABOVE_LIMIT = "amount_above_limit"  # a row decided for more than its computed limit, or for nothing
    UNKNOWN_ROW = "unknown_row"  # an approval's decision on a row the batch does not have
    UNKNOWN_ACTION = "unknown_action"  # 404: a review page's action that does not exist
    AGREEMENT_EXPIRED = "agreement_expired"  # a batch or drawdown while the cooperation or guarantee agreement lapsed
    NO_CHANGE = "no_change"  # a programme change proposal that changes nothing
    EFFECTIVE_DATE_PAST = "effective_date_past"  # a programme change to take effect before the business date
    NOT_RENEWABLE = "not_renewable"  # a renewal of a limit not live, not expiring soon, or already being renewed
    BELOW_DRAWN = "below_drawn"  # a credit limit reduced below the principal its loans have drawn
    PROGRAM_CHANGE_OPEN = "program_change_open"  # 409: a programme change proposed while another is open
    PROCESSING_INCOMPLETE = "processing_incomplete"  # finishing a batch whose rows are not all processed
    LOAN_CLOSED = "loan_closed"  # a repayment on a loan paid off
    CLASSIFICATION_TOO_GOOD = "classification_too_good"  # a classification better than the loan's DPD allows
    WARNING_CLOSED = "warning_closed"  # an action on a warning already closed
    INVALID_KIND = "invalid_kind"  # a warning action of no known kind; an org tree row of no known level
    NOTE_REQUIRED = "note_required"  # a warning action or a post-drawdown issue without its note
    INVALID_RESOLUTION = "invalid_resolution"  # closing a warning neither as confirmed risk nor as false alarm
    ACTION_REQUIRED = "action_required"  # closing a warning before anything was done about it
    INVALID_CHECK = "invalid_check"  # a post-drawdown check of no known kind or result
    UNKNOWN_PRODUCT = "unknown_product"  # a holding of a product code the product list lacks
    FUTURE_DATE = "future_date"  # a holding opened after the business date
    PAYMENT_EXCEEDS_OWED = "payment_exceeds_owed"  # an anchor's payment above what its demands and claims owe
    DUPLICATE_REFERENCE = "duplicate_reference"  # 409: an anchor's transfer reference already recorded
    NOT_LOSS_CLASS = "not_loss_class"  # a write-off of a loan not active or not classified as loss
    WRITE_OFF_OPEN = "write_off_open"  # 409: a write-off proposed for a loan that already has one
    # --- ours: rows and cells of files ---
    REQUIRED = "required"  # a required cell left empty
    TOO_LONG = "too_long"  # a text longer than its column holds
    DUPLICATE_IN_FILE = "duplicate_in_file"  # an identity number (or node code, or holding) earlier in the same file
    INVALID_ID_FORMAT = "invalid_id_format"  # a resident ID number not of 17 digits and a digit or X
    INVALID_ID_CHECKSUM = "invalid_id_checksum"  # a resident ID number with a wrong check digit
    INVALID_BIRTH_DATE = "invalid_birth_date"  # a resident ID number whose birth date is not real
    UNKNOWN_REGION_CODE = "unknown_region_code"  # a resident ID number of no known region
    INVALID_PHONE = "invalid_phone"  # not a mainland mobile number
    INVALID_SCORE = "invalid_score"  # a score not from 0 to 100 with at most two decimals
    NEGATIVE_AMOUNT = "negative_amount"  # a negative amount
    INVALID_DATE = "invalid_date"  # a cell that is not a date
    INVALID_KEY = "invalid_key"  # an order or event number with control characters
    INVALID_SUBJECT_ID = "invalid_subject_id"  # an event's subject neither a resident ID nor a USCC
    INVALID_VALUE = "invalid_value"  # an event's value that is not a number at least zero
    UNKNOWN_EVENT_TYPE = "unknown_event_type"  # an event type the contract does not list
    UNKNOWN_FARMER = "unknown_farmer"  # a holding of an identity number none of the user's farmers has
    ALREADY_RECOMMENDED = "already_recommended"  # a farmer already in an open batch of the programme
    # --- ours: rows of the organisation tree file (load_org_tree) ---
    INVALID_CODE = "invalid_code"  # a node code with "/" or spaces
    INVALID_SUB_BRANCH_CLASS = "invalid_sub_branch_class"  # a sub-branch class not priority, follow_up, specialty
    CLASS_NOT_ALLOWED = "class_not_allowed"  # a class on a node that is not a sub-branch
    PARENT_NOT_ALLOWED = "parent_not_allowed"  # a parent for the branch
    UNKNOWN_PARENT = "unknown_parent"  # a parent code neither in the file nor in the tree
    INVALID_PARENT = "invalid_parent"  # a parent of the wrong level
    KIND_CHANGED = "kind_changed"  # a known node given another level
    PARENT_CHANGED = "parent_changed"  # a known node given another parent
    SECOND_BRANCH = "second_branch"  # a branch row with a code other than the root's
    # --- ours: the files exchanged with the core system (accounting) ---
    UNKNOWN_INSTRUCTION = "unknown_instruction"  # a confirmation row naming no disbursement instruction
    LOAN_MISMATCH = "loan_mismatch"  # a confirmation row whose loan is not its instruction's
    AMOUNT_MISMATCH = "amount_mismatch"  # a confirmation row whose amount is not its instruction's
    ALREADY_CONFIRMED = "already_confirmed"  # a confirmation of an instruction paid out under another reference
    INVALID_RESULT = "invalid_result"  # a confirmation row's result neither accepted nor rejected
    UNMAPPED_LEDGER_KIND = "unmapped_ledger_kind"  # a ledger kind the chart of accounts does not map yet
    JOURNAL_UNBALANCED = "journal_unbalanced"  # a day's journal whose debits and credits differ
    FILE_CHANGED = "file_changed"  # 409: a date exported again whose ledger changed since its file was kept
    DAY_NOT_CLOSED = "day_not_closed"  # a journal of a business day not closed yet
    DATE_SUPERSEDED = "date_superseded"  # instructions for a date before the latest instruction file
    # --- ours: rows of the core system's settlement-account files (risk.account_importers) ---
    INVALID_ACCOUNT_NUMBER = "invalid_account_number"  # an account number not of 6 to 32 digits
    INVALID_DIRECTION = "invalid_direction"  # a transaction's direction neither in nor out
    # --- ours: the lists and their contacts (distribution) ---
    UNKNOWN_ENTRY = "unknown_entry"  # a call-results row naming no list entry the importer may see
    INVALID_OUTCOME = "invalid_outcome"  # a contact result of no known code
    INVALID_CHANNEL = "invalid_channel"  # a contact channel of no known code
    OUTSIDE_SUBTREE = "outside_subtree"  # an entry, node or person outside the user's subtree
    # --- ours: targets, field research and training (network) ---
    INVALID_QUARTER = "invalid_quarter"  # a quarter not written as 2027Q2
    INVALID_TARGET = "invalid_target"  # a growth target below zero, or an NPL ceiling outside 0 to 100 %
    INVALID_RATING = "invalid_rating"  # a visit's rating not good/average/poor, a training rating not 1 to 5
    NOT_ATTENDEE = "not_attendee"  # training feedback from someone who did not attend
    ALREADY_DONE = "already_done"  # a follow-up action marked done twice


# The codes the contract does not name: ours to add, rename or drop. Every other member is the contract's.
INTERNAL_CODES: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.INVALID,
        ErrorCode.INVALID_JSON,
        ErrorCode.PARSE_ERROR,
        ErrorCode.BAD_REQUEST,
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.AUTHENTICATION_FAILED,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.NOT_ACCEPTABLE,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.SERVER_ERROR,
        ErrorCode.INTERNAL_ERROR,
        ErrorCode.CONFLICT,
        ErrorCode.BUSY,
        ErrorCode.UNKNOWN_PROVIDER,
        ErrorCode.BAD_SIGNATURE,
        ErrorCode.STALE_REQUEST,
        ErrorCode.REPLAYED_REQUEST,
        ErrorCode.INVALID_PAYLOAD,
        ErrorCode.UNKNOWN_ANCHOR,
        ErrorCode.INVALID_PROVIDER_CODE,
        ErrorCode.NAME_REQUIRED,
        ErrorCode.DUPLICATE_PROVIDER,
        ErrorCode.BUSINESS_DATE_BACKWARDS,
        ErrorCode.DAY_ALREADY_CLOSED,
        ErrorCode.NOTHING_TO_CLOSE,
        ErrorCode.CLOSE_RUNNING,
        ErrorCode.UNKNOWN_ROLE,
        ErrorCode.PASSWORD_REQUIRED,
        ErrorCode.INVALID_PASSWORD,
        ErrorCode.INVALID_USERNAME,
        ErrorCode.UNKNOWN_ORG_NODE,
        ErrorCode.ANCHOR_REQUIRED,
        ErrorCode.ANCHOR_NOT_ALLOWED,
        ErrorCode.ORG_NODE_REQUIRED,
        ErrorCode.INVALID_ORG_PARENT,
        ErrorCode.INVALID_ORG_CODE,
        ErrorCode.DUPLICATE_USCC,
        ErrorCode.DUPLICATE_AGREEMENT,
        ErrorCode.INVALID_DATES,
        ErrorCode.DATE_IN_FUTURE,
        ErrorCode.INVALID_STATUS_CHANGE,
        ErrorCode.INVALID_STATUS,
        ErrorCode.INVALID_TEMPLATE,
        ErrorCode.INVALID_PARAMETER,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.ASSESSMENT_REQUIRED,
        ErrorCode.INVALID_REGION_CODE,
        ErrorCode.DISEASE_REQUIRED,
        ErrorCode.FILE_REQUIRED,
        ErrorCode.FARMER_LIST_REQUIRED,
        ErrorCode.NO_DATA_ROWS,
        ErrorCode.NO_HEADER,
        ErrorCode.DUPLICATE_COLUMNS,
        ErrorCode.MISSING_COLUMNS,
        ErrorCode.EXTRA_CELLS,
        ErrorCode.AMOUNT_ABOVE_LIMIT,
        ErrorCode.UNKNOWN_ROW,
        ErrorCode.UNKNOWN_ACTION,
        ErrorCode.AGREEMENT_EXPIRED,
        ErrorCode.NO_CHANGE,
        ErrorCode.EFFECTIVE_DATE_PAST,
        ErrorCode.NOT_RENEWABLE,
        ErrorCode.BELOW_DRAWN,
        ErrorCode.PROGRAM_CHANGE_OPEN,
        ErrorCode.PROCESSING_INCOMPLETE,
        ErrorCode.LOAN_CLOSED,
        ErrorCode.CLASSIFICATION_TOO_GOOD,
        ErrorCode.WARNING_CLOSED,
        ErrorCode.INVALID_KIND,
        ErrorCode.NOTE_REQUIRED,
        ErrorCode.INVALID_RESOLUTION,
        ErrorCode.ACTION_REQUIRED,
        ErrorCode.INVALID_CHECK,
        ErrorCode.UNKNOWN_PRODUCT,
        ErrorCode.FUTURE_DATE,
        ErrorCode.PAYMENT_EXCEEDS_OWED,
        ErrorCode.DUPLICATE_REFERENCE,
        ErrorCode.NOT_LOSS_CLASS,
        ErrorCode.WRITE_OFF_OPEN,
        ErrorCode.REQUIRED,
        ErrorCode.TOO_LONG,
        ErrorCode.DUPLICATE_IN_FILE,
        ErrorCode.INVALID_ID_FORMAT,
        ErrorCode.INVALID_ID_CHECKSUM,
        ErrorCode.INVALID_BIRTH_DATE,
        ErrorCode.UNKNOWN_REGION_CODE,
        ErrorCode.INVALID_PHONE,
        ErrorCode.INVALID_SCORE,
        ErrorCode.NEGATIVE_AMOUNT,
        ErrorCode.INVALID_DATE,
        ErrorCode.INVALID_KEY,
        ErrorCode.INVALID_SUBJECT_ID,
        ErrorCode.INVALID_VALUE,
        ErrorCode.UNKNOWN_EVENT_TYPE,
        ErrorCode.UNKNOWN_FARMER,
        ErrorCode.ALREADY_RECOMMENDED,
        ErrorCode.INVALID_CODE,
        ErrorCode.INVALID_SUB_BRANCH_CLASS,
        ErrorCode.CLASS_NOT_ALLOWED,
        ErrorCode.PARENT_NOT_ALLOWED,
        ErrorCode.UNKNOWN_PARENT,
        ErrorCode.INVALID_PARENT,
        ErrorCode.KIND_CHANGED,
        ErrorCode.PARENT_CHANGED,
        ErrorCode.SECOND_BRANCH,
        ErrorCode.UNKNOWN_INSTRUCTION,
        ErrorCode.LOAN_MISMATCH,
        ErrorCode.AMOUNT_MISMATCH,
        ErrorCode.ALREADY_CONFIRMED,
        ErrorCode.INVALID_RESULT,
        ErrorCode.UNMAPPED_LEDGER_KIND,
        ErrorCode.JOURNAL_UNBALANCED,
        ErrorCode.FILE_CHANGED,
        ErrorCode.DAY_NOT_CLOSED,
        ErrorCode.DATE_SUPERSEDED,
        ErrorCode.INVALID_ACCOUNT_NUMBER,
        ErrorCode.INVALID_DIRECTION,
        ErrorCode.UNKNOWN_ENTRY,
        ErrorCode.INVALID_OUTCOME,
        ErrorCode.INVALID_CHANNEL,
        ErrorCode.OUTSIDE_SUBTREE,
        ErrorCode.INVALID_QUARTER,
        ErrorCode.INVALID_TARGET,
        ErrorCode.INVALID_RATING,
        ErrorCode.NOT_ATTENDEE,
        ErrorCode.ALREADY_DONE,
    }
)
