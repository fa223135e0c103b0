"""Uploads kept for forms that were never sent again are pruned; used ones stay."""

from __future__ import annotations

from lbt.storage.uploads import check_photo
from tests.fixtures.applications import photo_bytes


def test_unused_uploads_older_than_the_cut_off_are_pruned(db, make_application, store, clock):
    from datetime import timedelta

    from lbt.storage.models import StoredFile
    from lbt.storage.uploads import prune_unused

    used = make_application().application.photo
    orphan = store.save(check_photo(photo_bytes(), "left.jpg"))
    orphan.created_at = clock() - timedelta(hours=50)
    used.created_at = clock() - timedelta(hours=50)
    fresh = store.save(check_photo(photo_bytes(), "new.jpg"))
    fresh.created_at = clock()
    db.add_all([orphan, fresh])
    db.flush()
    assert prune_unused(db, store, clock() - timedelta(hours=48)) == 1
    assert db.get(StoredFile, orphan.id) is None and db.get(StoredFile, used.id) is not None
    assert not (store.directory / orphan.stored_name).exists()
    assert (store.directory / fresh.stored_name).exists()
