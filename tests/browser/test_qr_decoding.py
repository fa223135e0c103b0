"""The guard page's QR decoder (zxing-cpp in WebAssembly, static/js/verify-qr.js) reads the permit
from photos of the card as a cheap phone camera takes them: the fixed, seeded set of
tests/browser/qr_photos.py, decoded in Chromium by the page's own code. The set is the same on every
run, so the number read is a fact of the decoder, not luck: it must not fall (jsQR, the decoder before,
read 15 of these 60; bench/qr_decoders.py compares them, docs/performance.md has the figures)."""

from __future__ import annotations

import pytest

from tests.browser.qr_photos import degraded_set
from tests.fixtures.browser import logged_in

pytestmark = pytest.mark.browser

READ_AT_LEAST = 29  # of the 60 photos: what zxing-wasm 3.1.6 reads, measured when it was chosen

READ_PHOTO = """async (url) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  return window.LbtQr.read(image, image.naturalWidth, image.naturalHeight);
}"""


def test_the_guard_page_reads_the_qr_on_photos_from_a_cheap_phone_camera(page, live_server):
    photos = degraded_set()
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    page.wait_for_function("() => window.LbtQr !== undefined")
    decoded = {photo.name: page.evaluate(READ_PHOTO, photo.data_url()) for photo in photos}
    read = [photo.name for photo in photos if decoded[photo.name] == photo.text]
    misread = [photo.name for photo in photos if decoded[photo.name] not in (None, photo.text)]
    assert misread == []  # a code read wrong would name another permit, or none
    assert len(read) >= READ_AT_LEAST, f"read {len(read)} of {len(photos)}: {read}"
    assert page.csp_violations == []  # the page's policy lets it compile the WebAssembly decoder
