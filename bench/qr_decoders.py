"""Which QR decoder the guard page should use, by measurement (issue 11): jsQR against zxing-cpp's
WebAssembly build (npm zxing-wasm), in Debian's Chromium, over the degraded photos of
tests/browser/qr_photos.py (the app's own card backs as a cheap phone camera sees them).

    python bench/qr_decoders.py [--count 60] [--repeat 3]

Both libraries are taken from the npm registry (`npm pack`, into bench/results/npm/), whatever the
page vendors today, so the comparison can be run again after the choice. Prints, per decoder, how many
photos it read (the right text), and the median and 90th percentile time of one decode; writes every
photo's outcome to bench/results/qr_decoders.json. Not part of the test suite: the time is measured
here, the rate is held by tests/browser/test_qr_decoding.py."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.qr_photos import degraded_set  # noqa: E402
from tests.fixtures.browser import CHROMIUM_ARGS, find_chromium  # noqa: E402

PACKAGES = {"jsqr": "1.4.0", "zxing-wasm": "3.1.6"}
ORIGIN = "http://decoders.test"

PAGE = """<!doctype html><meta charset="utf-8"><title>decoders</title>
<script src="/jsqr/dist/jsQR.js"></script>
<script src="/zxing-wasm/dist/iife/reader/index.js"></script>
<canvas id="c"></canvas>"""

# One photo: decoded the way each candidate would be used on the guard page, `repeat` times each.
MEASURE = """async ([url, repeat]) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.getElementById("c");
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const runs = {
    "jsQR (camera frame: dontInvert)": () => {
      const code = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    },
    "jsQR (photo: attemptBoth)": () => {
      const code = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
      return code ? code.data : null;
    },
    "zxing-wasm (tryHarder)": async () => {
      const found = await ZXingWASM.readBarcodes(pixels, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
      return found.length && found[0].isValid ? found[0].text : null;
    },
    "zxing-wasm (fast: no tryHarder)": async () => {
      const found = await ZXingWASM.readBarcodes(pixels, { formats: ["QRCode"], tryHarder: false, tryRotate: false, tryInvert: false, tryDownscale: false, maxNumberOfSymbols: 1 });
      return found.length && found[0].isValid ? found[0].text : null;
    },
  };
  const out = {};
  for (const [name, run] of Object.entries(runs)) {
    let text = null; const times = [];
    for (let i = 0; i < repeat; i++) {
      const start = performance.now();
      text = await run();
      times.push(performance.now() - start);
    }
    out[name] = { text, ms: times.sort((a, b) => a - b)[Math.floor(times.length / 2)] };
  }
  return out;
}"""


def packages(folder: Path) -> dict[str, Path]:
    """Each package unpacked from the npm registry's tarball (fetched once, then kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    unpacked = {}
    for name, version in PACKAGES.items():
        target = folder / f"{name}-{version}"
        if not target.exists():
            tarball = subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--silent"],
                cwd=folder,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            with tarfile.open(folder / tarball) as archive:
                archive.extractall(target, filter="data")
        unpacked[name] = target / "package"
    return unpacked


def serve(route, unpacked: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    path = route.request.url[len(ORIGIN) :].split("?")[0]
    if path == "/":
        route.fulfill(body=PAGE, content_type="text/html")
        return
    name, _, rest = path.lstrip("/").partition("/")
    file = unpacked[name] / rest
    kind = "application/wasm" if file.suffix == ".wasm" else "text/javascript"
    route.fulfill(body=file.read_bytes(), content_type=kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=60, help="photos in the set (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="decodes per photo and decoder, for the time")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results_dir = ROOT / "bench" / "results"
    unpacked = packages(results_dir / "npm")
    photos = degraded_set(options.count)
    executable = find_chromium()
    if executable is None:
        sys.exit("no Chromium found (install Debian's chromium, or set LBT_CHROMIUM)")
    outcomes: dict[str, list[dict[str, object]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(f"{ORIGIN}/**", lambda route: serve(route, unpacked))
        page.goto(f"{ORIGIN}/")
        # the WebAssembly module is compiled once per page, before the first photo: not timed
        page.evaluate(
            "() => ZXingWASM.prepareZXingModule({ overrides: { locateFile: (p) => '/zxing-wasm/dist/reader/' + p }, fireImmediately: true })"
        )
        for photo in photos:
            measured = page.evaluate(MEASURE, [photo.data_url(), options.repeat])
            for name, run in measured.items():
                outcomes.setdefault(name, []).append(
                    {
                        "photo": photo.name,
                        "read": run["text"] == photo.text,
                        "ms": run["ms"],
                        "conditions": photo.conditions,
                    }
                )
        browser.close()
    print(f"{len(photos)} photos (tests/browser/qr_photos.py), Chromium {executable}")
    print(f"{'decoder':36} {'read':>9} {'median ms':>10} {'p90 ms':>8}")
    for name, runs in outcomes.items():
        times = sorted(float(run["ms"]) for run in runs)  # type: ignore[arg-type]
        read = sum(1 for run in runs if run["read"])
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"{name:36} {read:>4}/{len(runs):<4} {statistics.median(times):>10.1f} {p90:>8.1f}")
    (results_dir / "qr_decoders.json").write_text(json.dumps(outcomes, indent=1))


if __name__ == "__main__":
    main()
