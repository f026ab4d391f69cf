"""What can go wrong with a store; each message says what to do."""
from catalog.errors import UserError


class StoreError(UserError, RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class StoreMismatchError(StoreError):
    """The store was built with another embedding space than the encoder in use."""


class StoreBusyError(StoreError):
    """Another process is writing to the embedded store."""
