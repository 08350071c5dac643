"""Department data import (部门数据导入): the one path by which files from city departments enter the platform.

Used by ``flask import-data SOURCE FILE``, by the commission's upload page and by the seed export tests.
A file (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX) is read, every row is validated, and either the
whole file is saved in one transaction or nothing is and a row-by-row report (行号、列、值、问题) explains
why. A file is the complete delivery of its source for the periods it covers: importing it replaces
those periods (see ``Source.scope``), so re-importing a month never duplicates it — except the records the
commission has decided on since (withdrawn or corrected after an objection, under repair or under review):
those stay as decided, and the report counts the file's rows kept that way (``governed``).

The registry (在营企业数据库) is special: rows with an invalid or a repeated USCC are not an error but
a finding — they are left out, listed in the report, and counted on the batch for indicator (九).
"""
# One module per job: sources (what each department delivers), reading (decoding a file), validation (every
# row), saving (one transaction), governed (decisions a re-import keeps), reports (the row-by-row report),
# coverage (数据覆盖情况).
from . import governed
from .coverage import coverage, indicator_9
from .reading import Parsed, decode_csv, read_file
from .reports import (
    MAX_REPORT_ROWS,
    MAX_SHOWN_ERRORS,
    REPORT_COLUMNS,
    REPORT_KEPT,
    remove_old_reports,
    report_csv,
    report_path,
    save_report,
)
from .saving import Checked, ImportResult, backfill_findings, check, import_file, save
from .sources import (
    KIND_LABELS,
    LIST_LABELS,
    PERIOD,
    SCOPE_LABELS,
    SEVERITY_LABELS,
    SOURCES,
    USCC,
    UTILITY_LABELS,
    Field,
    Source,
)
from .validation import known_usccs, parse_dates, uscc_problems, validate

__all__ = [
    "KIND_LABELS", "LIST_LABELS", "MAX_REPORT_ROWS", "MAX_SHOWN_ERRORS", "REPORT_KEPT", "remove_old_reports", "PERIOD", "REPORT_COLUMNS", "SCOPE_LABELS", "SEVERITY_LABELS",
    "SOURCES", "USCC", "UTILITY_LABELS", "backfill_findings", "Checked", "Field", "ImportResult", "Parsed", "Source",
    "check", "coverage", "decode_csv", "governed", "import_file", "indicator_9", "known_usccs", "parse_dates",
    "read_file", "report_csv",
    "report_path", "save", "save_report", "uscc_problems", "validate",
]
