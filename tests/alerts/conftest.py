"""The alert pages show the permits' holders: uploads are kept where the app
reads them."""

from __future__ import annotations

import pytest

from lbt.storage.uploads import FileStore


@pytest.fixture
def store(app_store: FileStore) -> FileStore:
    return app_store
