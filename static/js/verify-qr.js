// Reading a permit's QR code from a camera frame or a photo, with zxing-cpp compiled to WebAssembly
// (the vendored zxing-wasm reader). It was chosen over jsQR by measurement: on photos of the card as a
// cheap phone camera takes them it reads about twice as many, ten times faster (docs/performance.md,
// "Guard page"). The WebAssembly module (about 1 MB, kept by the service worker for use offline) is
// compiled on the first read, or ahead of it by warm() when the camera starts; never at page load.
(function () {
  "use strict";
  var root = document.getElementById("verify");
  var canvas = document.getElementById("verify-canvas");
  var LONGEST_SIDE = 960;  // a phone photo is shrunk to this: the card's QR stays sharp enough, and reading is quick
  var ready = null;

  function warm() {
    if (!ready) {
      ready = window.ZXingWASM.prepareZXingModule({
        overrides: { locateFile: function () { return root.dataset.zxingWasmUrl; } },
        fireImmediately: true
      }).catch(function (error) {
        ready = null;  // not loaded (offline before it was kept): try again at the next read
        throw error;
      });
    }
    return ready;
  }

  function pixels(source, width, height) {
    var scale = Math.min(1, LONGEST_SIDE / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  // The text of the QR code in the picture (a video, an image or a canvas), or null if none is read.
  async function read(source, width, height) {
    await warm();
    var found = await window.ZXingWASM.readBarcodes(pixels(source, width, height), {
      formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1
    });
    return found.length && found[0].isValid ? found[0].text : null;
  }

  window.LbtQr = { warm: warm, read: read };
})();
