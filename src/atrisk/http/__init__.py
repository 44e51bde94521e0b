"""What the API (``atrisk.api``) and the pages (``atrisk.web``) share, so that neither imports
the other: who is asking (auth), per-request dependencies (store session, settings, lookups),
the run cache, the build's tables, error responses, middleware and the server protocol."""
