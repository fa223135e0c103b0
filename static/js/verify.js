// The border guard's verification page: read a permit QR (camera frames or a photo, decoded by
// verify-qr.js with the vendored zxing-cpp) or take a typed permit number, ask the server for the verdict, show it, and record
// the entry or exit with a UUID made here (a retry after a lost answer is stored once). Without a
// connection, verify-offline.js gives the verdict from the QR's signature and keeps the crossing
// on the device until it can be sent.
(function () {
  "use strict";
  var root = document.getElementById("verify");
  if (!root) { return; }
  var text = root.dataset;
  var csrf = function () { return (document.querySelector('meta[name="csrf-token"]') || {}).content || ""; };
  var offline = window.LbtOffline;
  // dates as the page's language writes them (the pattern comes from the server), never ISO
  var day = function (iso) { return offline && offline.shownDay ? offline.shownDay(iso) : iso; };
  var $ = function (id) { return document.getElementById(id); };
  var message = $("verify-message");
  var input = $("verify-input");
  var cameraBox = $("verify-camera");
  var video = $("verify-video");
  var startButton = $("verify-camera-start");
  var result = $("verify-result");
  var recordForm = $("verdict-record");
  var recordButton = $("verdict-record-button");
  var reasonField = $("verdict-reason-field");
  var reasonInput = $("verdict-reason");
  var recorded = $("verdict-recorded");
  var stream = null;
  var current = null;  // {body, item}: the verdict shown and the crossing it would record

  function say(key, state) {
    message.textContent = key ? text[key] : "";
    message.className = "verify__message" + (state ? " verify__message--" + state : "");
  }

  function point() { var field = $("verify-point"); return field ? field.value : null; }
  function agreement() {
    var field = $("verify-point");
    var chosen = field && (field.selectedOptions ? field.selectedOptions[0] : field);
    return chosen ? chosen.dataset.agreement || null : null;
  }
  // the chosen point's agreement asks both sides to record: a partner's permit is recorded here too
  function recordsPartner() {
    var field = $("verify-point");
    var chosen = field && (field.selectedOptions ? field.selectedOptions[0] : field);
    return Boolean(chosen && chosen.dataset.partnerRecords === "true");
  }
  function direction() {
    var checked = document.querySelector('input[name="direction"]:checked');
    return checked ? checked.value : "entry";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // A request that could not reach the server (no network) fails with error.offline set.
  async function post(url, payload) {
    var response;
    try {
      response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(payload)
      });
    } catch (error) {
      var lost = new Error(text.textNetwork);
      lost.offline = true;
      throw lost;
    }
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok) { throw new Error(body.error || text.textNetwork); }
    return body;
  }

  // --- the verdict --------------------------------------------------------------------------------

  function fill(name, value) {
    root.querySelectorAll('[data-fact="' + name + '"]').forEach(function (cell) { cell.textContent = value || ""; });
  }

  function daysOf(used, limit) {
    return text.textDaysOf.replace("{used}", String(used)).replace("{limit}", String(limit));
  }

  function fillStay(stay) {
    if (!stay) {  // checked offline: the stay is known only to the server
      fill("stay", text.textNotChecked);
      fill("window", text.textNotChecked);
      return;
    }
    fill("stay", daysOf(stay.current_stay_days, stay.max_stay_days) + " · " + (stay.inside ? text.textInside : text.textOutside));
    var rule = text.textWindowRule.replace("1111", String(stay.window_limit)).replace("2222", String(stay.window_days));
    fill("window", stay.window_days ? daysOf(stay.window_used, stay.window_limit) + " (" + rule + ")" : text.textNone);
  }

  function showVerdict(body, item) {
    stopCamera();
    current = { body: body, item: item };
    var verdict = body.verdict;
    var title = $("verdict-title");
    title.textContent = text[{ pass: "textPass", refuse: "textRefuse", check: "textCheck" }[verdict]];
    result.className = "verdict verdict--" + verdict;
    var reasons = $("verdict-reasons");
    reasons.replaceChildren.apply(reasons, (body.reasons || []).map(function (reason) {
      var li = document.createElement("li");
      li.textContent = reason.message;
      li.dataset.code = reason.code;
      return li;
    }));
    var permit = body.permit;
    $("verdict-person").hidden = !permit;
    var photo = $("verdict-photo");
    photo.hidden = true;
    // offline the device keeps no photos: the facts take the whole width, with a word on what to compare
    $("verdict-person").classList.toggle("verdict__person--no-photo", Boolean(body.offline));
    $("verdict-no-photo").hidden = !(permit && body.offline);
    if (permit) {
      fill("surname-national", permit.surname.national);
      fill("surname-latin", permit.surname.latin);
      fill("given-national", permit.given_names.national);
      fill("given-latin", permit.given_names.latin);
      fill("birth-date", day(permit.birth_date));
      fill("document", permit.document_number);
      fill("number", permit.number);
      fill("validity", day(permit.valid_from) + " – " + day(permit.valid_until));
      fillStay(body.stay);
      if (!body.offline && !body.partner) {  // no photo offline, nor of the partner's permits
        photo.onload = function () { photo.hidden = false; };
        photo.src = body.photo_url || text.photoByNumberUrl.replace("__NUMBER__", encodeURIComponent(permit.number));
      }
      item.permit_number = permit.number;
    }
    if (body.offline && body.token) { item.token = body.token; }  // the server checks it again
    item.partner = Boolean(body.partner);  // a permit of the partner state: recorded at its own address
    if (body.partner && body.token) { item.token = body.token; }
    result.dataset.offline = body.offline ? "true" : "false";
    var history = $("verdict-history");
    history.hidden = !body.history_url;
    if (body.history_url) { history.href = body.history_url; }
    recordButton.textContent = recordButton.dataset[item.direction === "exit" ? "labelExit" : "labelEntry"];
    recordButton.disabled = false;
    recordForm.hidden = !permit || verdict === "refuse" || Boolean(body.partner && !body.partner.records);
    reasonField.hidden = verdict !== "check";
    reasonInput.required = verdict === "check";
    reasonInput.value = "";
    recorded.hidden = true;
    input.hidden = true;
    result.hidden = false;
    result.focus();
  }

  function reset() {
    current = null;
    result.hidden = true;
    input.hidden = false;
    $("verify-number-input").value = "";
    say("", "");
  }

  async function check(url, payload) {
    var item = { crossing_point: point(), direction: direction() };
    say("textChecking", "info");
    try {
      var answer = await post(url, Object.assign({}, payload, item));
      if (answer.partner && payload.token) { answer.token = payload.token; }
      showVerdict(answer, item);
    } catch (error) {
      if (error.offline && offline && payload.token) {
        showVerdict(await offline.verdict(payload.token, agreement(), recordsPartner()), item);
        return;
      }
      if (error.offline && payload.number) {
        say("textOfflineNumber", "bad");
        return;
      }
      message.textContent = error.message || text.textNetwork;
      message.className = "verify__message verify__message--bad";
    }
  }

  function checkToken(scanned) { return check(text.verifyUrl, { token: scanned }); }

  async function record(event) {
    event.preventDefault();
    if (!current) { return; }
    var reason = reasonInput.value.trim();
    if (current.body.verdict === "check" && !reason) {
      recorded.textContent = text.textReasonNeeded;
      recorded.className = "verdict__recorded verdict__recorded--bad";
      recorded.hidden = false;
      reasonInput.focus();
      return;
    }
    var item = current.item;
    item.id = item.id || uuid();  // kept for a retry: the server stores one crossing per id
    item.at = item.at || new Date().toISOString();
    item.reason = reason;
    item.offline = false;
    recordButton.disabled = true;
    recorded.textContent = text.textRecording;
    recorded.className = "verdict__recorded";
    recorded.hidden = false;
    try {
      var outcome = (await post(item.partner ? text.partnerCrossingsUrl : text.crossingsUrl, [item])).results[0];
      var stored = item.direction === "exit" ? text.textStoredExit : text.textStoredEntry;
      var words = {
        stored: [stored, "ok"], duplicate: [text.textDuplicate, "ok"],
        conflict: [text.textConflict + " " + (outcome.error || ""), "bad"]
      }[outcome.status] || [text.textNotRecorded + " " + (outcome.error || ""), "bad"];
      recorded.textContent = words[0];
      recorded.className = "verdict__recorded verdict__recorded--" + words[1];
      recorded.dataset.status = outcome.status;
      recordForm.hidden = words[1] === "ok";
      recordButton.disabled = words[1] === "ok";
    } catch (error) {
      if (error.offline && offline && window.indexedDB) {
        // no connection: the crossing happened now; it waits on this device with its id and time
        item.offline = true;
        item.label = current.body.permit ? current.body.permit.number : "";
        try {
          await offline.enqueue(item);
          recorded.textContent = text.textSavedOffline;
          recorded.className = "verdict__recorded verdict__recorded--ok";
          recorded.dataset.status = "queued";
          recordForm.hidden = true;
          return;
        } catch (storeError) { /* not kept: say so below */ }
      }
      recorded.textContent = error.message || text.textNetwork;
      recorded.className = "verdict__recorded verdict__recorded--bad";
      recordButton.disabled = false;
    }
  }

  // --- reading the QR -----------------------------------------------------------------------------

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    startButton.hidden = false;
  }

  // One frame at a time: the next is read 120 ms after this one is done.
  async function scanFrame() {
    if (!stream) { return; }
    if (video.readyState >= 2 && video.videoWidth) {
      var found = null;
      try {
        found = await window.LbtQr.read(video, video.videoWidth, video.videoHeight);
      } catch (error) { /* the decoder is not loaded yet: the next frame tries again */ }
      if (found && stream) { stopCamera(); checkToken(found); return; }
    }
    window.setTimeout(scanFrame, 120);
  }

  function cameraUsable() {
    if (!window.isSecureContext) { say("textInsecure", "warn"); return false; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("textNoCameraApi", "warn"); return false; }
    return true;
  }

  async function startCamera() {
    if (!cameraUsable()) { return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      var name = error && error.name;
      say(name === "NotAllowedError" || name === "SecurityError" ? "textDenied"
        : name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError" ? "textMissing"
          : "textCameraError", "bad");
      return;
    }
    window.LbtQr.warm().catch(function () { /* read() tries again */ });
    video.srcObject = stream;
    cameraBox.hidden = false;
    startButton.hidden = true;
    say("textScanning", "info");
    try { await video.play(); } catch (error) { /* autoplay is allowed for muted video; frames still arrive */ }
    scanFrame();
  }

  function readPicture(event) {
    var file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    var url = URL.createObjectURL(file);
    var image = new Image();
    image.onload = async function () {
      var found = null;
      try {
        found = await window.LbtQr.read(image, image.naturalWidth, image.naturalHeight);
      } catch (error) { /* no decoder: said as no QR found */ }
      URL.revokeObjectURL(url);
      if (found) { checkToken(found); } else { say("textNoQr", "bad"); }
    };
    image.onerror = function () { URL.revokeObjectURL(url); say("textNoQr", "bad"); };
    image.src = url;
  }

  startButton.addEventListener("click", startCamera);
  $("verify-camera-stop").addEventListener("click", function () { stopCamera(); say("", ""); });
  $("verify-file").addEventListener("change", readPicture);
  $("verify-number").addEventListener("submit", function (event) {
    event.preventDefault();
    var number = $("verify-number-input").value.trim();
    // a handheld scanner types the QR's text into this field: check it as a scanned code
    if (number && offline && offline.tokenFromQr(number)) { checkToken(number); return; }
    if (number) { check(text.numberUrl, { number: number }); }
  });
  recordForm.addEventListener("submit", record);
  $("verdict-next").addEventListener("click", reset);
  $("verify-setup").addEventListener("submit", function (event) { event.preventDefault(); });
  if (!window.isSecureContext) { say("textInsecure", "warn"); }
  if (offline) { offline.init(root, csrf); }
})();
