"""The web shell, above every domain package: the start page, health check and language choice, the
platform operator's cooperative list, each cooperative's dashboard and settings, the audit log (its
reader, pages and exports) and the helpers every template uses.

It may import any package (the dashboard shows users and the audit log; the log names accounts and
roles); only the app root and the API import it. The helpers a page of any package uses (base form,
form helpers, safe redirects, money formats) live below, in ``koppontren.site``.
"""
