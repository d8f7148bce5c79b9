"""Financial statements and reports (issue 6): builders, renderers and the reports pages.

``builders`` turn (cooperative, period[, comparative]) into a :class:`model.Statement` with SQL
aggregates over journal lines; ``registry.REPORTS`` maps the API's report names to builders and
``model.to_json`` makes any statement JSON-ready. ``render`` turns a statement into HTML, PDF
(WeasyPrint through ``koppontren.pdf``) and XLSX; ``jobs`` produces long PDFs in the background
and caches them by (cooperative, report, period, head of the hash chain). Statements only read
the ledger; they never write.
"""
