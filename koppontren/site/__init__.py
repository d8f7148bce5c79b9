"""What every page uses, below every domain package: the base forms, form helpers, safe redirects,
money formats, error pages and security headers. (The start page and the template helpers, which
read users and roles, are in ``koppontren.shell`` above.)"""
