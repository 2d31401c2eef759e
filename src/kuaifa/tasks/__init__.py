"""Background work: thin, idempotent task functions over services, run by ``kuaifa worker``."""
