"""Users, per-cooperative roles, login, permission checks (API tokens join later)."""
