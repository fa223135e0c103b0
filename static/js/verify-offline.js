// The verification page without a connection: the service worker keeps the page and its files; the
// signing keys (JWK Set) and the signed list of withdrawn permits are kept in localStorage and
// refreshed whenever the page is online; a scanned QR is checked here with WebCrypto (ES256); and
// crossings recorded offline wait in IndexedDB (with their UUID and original time) until they can be
// sent. The server stores each crossing once, so sending one again after a lost answer is harmless.
// The partner states' permit keys and the digests of their withdrawn permits (/v/partners, as the
// exchange carried them) are kept too, so a partner's permit is known offline; its crossings are
// queued for the partner-crossings address when the agreement asks both sides to record.
(function () {
  "use strict";
  var KEYS_ITEM = "lbt.crossings.jwks";
  var LIST_ITEM = "lbt.crossings.revocations";
  var PARTNERS_ITEM = "lbt.crossings.partners";
  var DB_NAME = "lbt-crossings";
  var STORE = "queue";
  var BATCH = 100;  // crossings per request (the server takes up to 500)
  // the server's line on the list's age (#offline-list-age) describes the list it signed as the page
  // was made; the one the page then fetched (or the one kept from before) is that list if signed
  // within this many seconds of it
  var SAME_LIST_SECONDS = 300;
  var root, text, csrfToken, statusBox, serverLine, sending = false;

  // --- JWS (compact, ES256) -----------------------------------------------------------------------

  function b64urlBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  function b64urlJson(value) {
    var parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlBytes(value)));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) { throw new Error("not an object"); }
    return parsed;
  }

  // The JWS of a scanned "<site>/v#<JWS>" or of a bare JWS (as the server's token_from_qr).
  function tokenFromQr(scanned) {
    var candidate = String(scanned || "").trim();
    if (candidate.length > 4296) { return null; }
    var hash = candidate.indexOf("#");
    if (hash >= 0) {
      if (!/\/v$/.test(candidate.slice(0, hash))) { return null; }
      candidate = candidate.slice(hash + 1);
    }
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(candidate) ? candidate : null;
  }

  // {status: "ok", claims} or {status: "not_lbt" | "unknown_key" | "signature_invalid" | "no_keys"}
  async function verifyJws(token, typ, jwks) {
    var parts = token.split(".");
    var header, signature;
    try {
      header = b64urlJson(parts[0]);
      signature = b64urlBytes(parts[2]);
    } catch (error) { return { status: "not_lbt" }; }
    var typOk = typeof header.typ === "string" &&
      header.typ.toLowerCase().replace(/^application\//, "") === typ;
    if (header.alg !== "ES256" || !header.kid || !typOk || header.crit || signature.length !== 64) {
      return { status: "not_lbt" };
    }
    if (!jwks || !jwks.keys) { return { status: "no_keys" }; }
    var jwk = jwks.keys.filter(function (key) { return key.kid === header.kid; })[0];
    if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256") { return { status: "unknown_key" }; }
    try {
      var key = await crypto.subtle.importKey(
        "jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      var signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
      var ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
      if (!ok) { return { status: "signature_invalid" }; }
    } catch (error) { return { status: "signature_invalid" }; }
    try {
      return { status: "ok", claims: b64urlJson(parts[1]) };  // read only what the signature vouches for
    } catch (error) { return { status: "not_lbt" }; }
  }

  // --- the keys and the list of withdrawn permits, kept on this device ------------------------------

  function load(name) {
    try { return JSON.parse(window.localStorage.getItem(name) || "null"); } catch (error) { return null; }
  }

  function keep(name, value) {
    try { window.localStorage.setItem(name, JSON.stringify(value)); } catch (error) { /* storage full */ }
  }

  async function getJson(url) {
    var response = await fetch(url, { credentials: "same-origin", cache: "no-cache", headers: { "Accept": "application/json" } });
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  }

  async function refreshPartners() {
    if (!text.partnersUrl) { return; }
    var body = await getJson(text.partnersUrl);
    if (body && body.states && typeof body.states === "object" && !Array.isArray(body.states)) {
      keep(PARTNERS_ITEM, { states: body.states, fetched: Date.now() });
    }
  }

  async function refreshData() {
    var jwks = await getJson(text.jwksUrl);
    if (jwks && Array.isArray(jwks.keys)) { keep(KEYS_ITEM, { keys: jwks.keys, fetched: Date.now() }); }
    await refreshPartners().catch(function () { /* the kept copy stays */ });
    var body = await getJson(text.revocationsUrl);
    var checked = await verifyJws(String(body.token || ""), "lbt-revocations+jwt", load(KEYS_ITEM));
    var claims = checked.claims;
    if (checked.status !== "ok" || typeof claims.iat !== "number" ||
        !Array.isArray(claims.revoked) || !Array.isArray(claims.suspended)) {
      return;  // a list that is not genuine is not kept
    }
    var kept = load(LIST_ITEM);
    if (kept && kept.iat > claims.iat) { return; }  // never replace a newer list by an older one
    // the server answers an unchanged list with 304 (its ETag), the browser then gives back the copy
    // it holds, signed earlier: the server has just said it is still the list, so it is current now
    keep(LIST_ITEM, { token: body.token, iat: claims.iat, checked: Math.floor(Date.now() / 1000),
      revoked: claims.revoked, suspended: claims.suspended });
  }

  // when the list was last known to be the server's: its signature's time, or a later check
  function listAsOf(list) {
    return Math.max(list.iat, Number(list.checked) || 0);
  }

  function listAgeHours(list) {
    return list ? Math.max(0, (Date.now() / 1000 - listAsOf(list)) / 3600) : null;
  }

  function listIsStale(list) {
    return !list || listAgeHours(list) > Number(text.revocationsMaxAgeHours || 24);
  }

  // --- the verdict without the server ---------------------------------------------------------------

  function localDate() {
    var today = new Date();
    return new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  function reason(code, message) { return { code: code, message: message }; }

  // base64url of the first 16 bytes of SHA-256 of the signature's bytes: the permit's entry in the
  // partner's withdrawn digests (as in its public status list)
  async function digestOf(token) {
    var hash = new Uint8Array(await crypto.subtle.digest("SHA-256", b64urlBytes(token.split(".")[2])));
    return btoa(String.fromCharCode.apply(null, hash.slice(0, 16)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // A permit that one of a partner state's kept keys signed, naming that state as its issuer:
  // {code, name, withdrawn, claims}; null otherwise.
  async function partnerOf(token) {
    var kept = load(PARTNERS_ITEM);
    var states = (kept && kept.states) || {};
    var codes = Object.keys(states);
    for (var i = 0; i < codes.length; i++) {
      var state = states[codes[i]] || {};
      var checked = await verifyJws(token, "lbt-permit+jwt", { keys: Array.isArray(state.keys) ? state.keys : [] });
      if (checked.status === "ok" && checked.claims.iss === codes[i]) {
        return { code: codes[i], name: String(state.name || codes[i]), withdrawn: state.withdrawn || {}, claims: checked.claims };
      }
    }
    return null;
  }

  // A partner's permit offline, as the server judges it (docs/exchange.md, "The guard at exit"):
  // genuine of its state, red for a withdrawal the exchange carried, its dates or another agreement's
  // crossing point; otherwise amber, as every offline verdict.
  async function partnerVerdict(found, token, agreement, records) {
    var claims = found.claims;
    var genuine = reason("partner_permit", text.textGenuinePartner.replace("{state}", found.name));
    var refusals = [];
    var status = found.withdrawn[await digestOf(token)];
    if (status === "suspended") { refusals.push(reason("suspended", text.textSuspended)); }
    else if (status) { refusals.push(reason(String(status), text.textWithdrawn)); }
    var today = localDate();
    if (today > claims.vu) { refusals.push(reason("expired", text.textExpired)); }
    if (today < claims.vf) { refusals.push(reason("not_yet_valid", text.textNotYetValid.replace("{date}", shownDay(claims.vf)))); }
    if (!agreement || claims.agr !== agreement) { refusals.push(reason("outside_area", text.textOutsideArea)); }
    return {
      verdict: refusals.length ? "refuse" : "check", offline: true, token: token,
      partner: { state: found.code, records: Boolean(records) },
      reasons: [genuine].concat(refusals.length ? refusals : [reason("offline_partner", text.textOfflinePartner)]),
      permit: {
        number: claims.pn,
        surname: { national: "", latin: claims.fn },
        given_names: { national: "", latin: claims.gn || "" },
        birth_date: claims.dob, document_number: claims.doc,
        valid_from: claims.vf, valid_until: claims.vu,
        status: status || (today > claims.vu ? "expired" : "active")
      }
    };
  }

  // The same shape as the server's verdict (POST /api/v1/verify), with "offline": true. Green is
  // never given here: the stay limits and the crossings history are known only to the server.
  async function verdict(scanned, agreement, recordsPartner) {
    var red = function (code, key) {
      return { verdict: "refuse", offline: true, reasons: [reason(code, text[key])] };
    };
    var token = tokenFromQr(scanned);
    if (!token) { return red("not_lbt", "textNotLbt"); }
    var checked = await verifyJws(token, "lbt-permit+jwt", load(KEYS_ITEM));
    if (checked.status === "not_lbt") { return red("not_lbt", "textNotLbt"); }
    if (checked.status === "unknown_key") {
      var partner = await partnerOf(token);
      if (partner && ["pn", "fn", "dob", "doc", "agr", "vf", "vu"].every(function (claim) {
        return typeof partner.claims[claim] === "string";
      })) {
        return partnerVerdict(partner, token, agreement, recordsPartner);
      }
      return red("unknown_key", "textUnknownKey");
    }
    if (checked.status === "signature_invalid") { return red("signature_invalid", "textSignatureInvalid"); }
    var claims = checked.claims || {};
    var amber = [];
    if (checked.status === "no_keys") {
      amber.push(reason("offline_no_keys", text.textOfflineNoKeys));
      try { claims = b64urlJson(token.split(".")[1]); } catch (error) { return red("not_lbt", "textNotLbt"); }
    }
    var needed = ["pn", "fn", "dob", "doc", "agr", "vf", "vu"];
    if (needed.some(function (claim) { return typeof claims[claim] !== "string"; })) {
      return red("not_lbt", "textNotLbt");
    }
    var body = {
      verdict: "check", offline: true, reasons: [], token: token,
      permit: {
        number: claims.pn,
        surname: { national: "", latin: claims.fn },
        given_names: { national: "", latin: claims.gn || "" },
        birth_date: claims.dob, document_number: claims.doc,
        valid_from: claims.vf, valid_until: claims.vu
      }
    };
    var list = load(LIST_ITEM);
    var refusals = [];
    if (list && list.revoked.indexOf(claims.pn) >= 0) { refusals.push(reason("revoked", text.textWithdrawn)); }
    if (list && list.suspended.indexOf(claims.pn) >= 0) { refusals.push(reason("suspended", text.textSuspended)); }
    var today = localDate();
    if (today > claims.vu) { refusals.push(reason("expired", text.textExpired)); }
    if (today < claims.vf) { refusals.push(reason("not_yet_valid", text.textNotYetValid.replace("{date}", shownDay(claims.vf)))); }
    if (agreement && claims.agr !== agreement) { refusals.push(reason("outside_area", text.textOutsideArea)); }
    if (refusals.length) {
      body.verdict = "refuse";
      body.reasons = refusals;
      return body;
    }
    amber.push(reason("offline", text.textOfflineChecked));
    if (!list) {
      amber.push(reason("offline_no_list", text.textRevocationsNone));
    } else if (listIsStale(list)) {
      amber.push(reason("offline_old_list", staleText()));
    }
    body.reasons = amber;
    return body;
  }

  // --- the queue of crossings recorded offline (IndexedDB) ------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  async function withStore(mode, action) {
    var db = await openDb();
    try {
      return await new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    } finally { db.close(); }
  }

  function queued() { return withStore("readonly", function (store) { return store.getAll(); }); }

  async function enqueue(item) {
    var copy = Object.assign({}, item, { offline: true, queued: Date.now() });
    await withStore("readwrite", function (store) { return store.put(copy); });
    await showStatus();
  }

  function dequeue(ids) {
    return withStore("readwrite", function (store) {
      ids.forEach(function (id) { store.delete(id); });
      return null;
    });
  }

  async function freshCsrf() {
    // the CSRF token of a page kept for days may have run out: take the one of a fresh page
    var response = await fetch(text.pageUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) { return false; }
    var page = new DOMParser().parseFromString(await response.text(), "text/html");
    var meta = page.querySelector('meta[name="csrf-token"]');
    var current = document.querySelector('meta[name="csrf-token"]');
    if (!meta || !current) { return false; }
    current.content = meta.content;
    return true;
  }

  // One batch; fails with error.offline when the server could not be reached, error.status otherwise.
  async function postQueue(items, retried) {
    var response;
    var partner = items.length > 0 && Boolean(items[0].partner);  // a batch is of one kind only
    try {
      response = await fetch(partner ? text.partnerCrossingsUrl : text.crossingsUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(items.map(function (item) {
          var sent = Object.assign({}, item);
          delete sent.queued;
          delete sent.label;
          return sent;
        }))
      });
    } catch (error) {
      var lost = new Error("offline");
      lost.offline = true;
      throw lost;
    }
    if (response.status === 400 && !retried && await freshCsrf()) { return postQueue(items, true); }
    if (!response.ok) {
      var failed = new Error(String(response.status));
      failed.status = response.status;
      throw failed;
    }
    return (await response.json()).results || [];
  }

  // Drop the answered items from the queue and show the guard what became of each.
  async function settle(items, results) {
    var byId = {};
    items.forEach(function (item) { byId[item.id] = item; });
    var answered = results.filter(function (result) { return result && byId[result.id]; });
    await dequeue(answered.map(function (result) { return result.id; }));
    showResults(answered.map(function (result) { return { item: byId[result.id], result: result }; }));
  }

  // A batch the server could not answer as a whole (a 5xx) is sent again one crossing at a time, so
  // that one crossing the server fails on cannot hold back the others; that one stays queued.
  async function sendOneByOne(items) {
    for (var i = 0; i < items.length; i++) {
      try {
        await settle([items[i]], await postQueue([items[i]], false));
      } catch (error) {
        if (error.offline || error.status === 401 || error.status === 403) { throw error; }
      }
    }
  }

  // Send what waits, oldest first, in batches until the queue is empty; each item that got an answer
  // (stored, held, duplicate, conflict, refused, invalid) leaves the queue, so it is never sent again.
  // No connection, or no login, ends the round; the rest waits for the next one.
  async function send() {
    if (sending || !window.indexedDB) { return; }
    sending = true;
    try {
      var items = await queued();
      items.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
      // this state's permits and the partner's go to their own addresses, each kind oldest first
      var batches = [];
      [false, true].forEach(function (partner) {
        var kind = items.filter(function (item) { return Boolean(item.partner) === partner; });
        for (var start = 0; start < kind.length; start += BATCH) { batches.push(kind.slice(start, start + BATCH)); }
      });
      for (var index = 0; index < batches.length; index++) {
        var batch = batches[index];
        try {
          await settle(batch, await postQueue(batch, false));
        } catch (error) {
          if (error.offline || error.status === 401 || error.status === 403) { return; }
          await sendOneByOne(batch);
        }
      }
    } catch (error) {
      /* no connection or no login any more: what is left waits for the next round */
    } finally {
      sending = false;
      await showStatus();
    }
  }

  // --- what the page shows: connection, age of the list, crossings waiting, results of sending -------

  function staleText() {
    return text.textRevocationsStale.replace("{hours}", String(text.revocationsMaxAgeHours || 24));
  }

  function line(className, words) {
    var p = document.createElement("p");
    p.className = className;
    p.textContent = words;
    return p;
  }

  async function showStatus() {
    if (!statusBox) { return; }
    var lines = [];
    if (!navigator.onLine) { lines.push(line("offline-status__line offline-status__line--warn", text.textOfflineNow)); }
    var list = load(LIST_ITEM);
    if (!list) {
      lines.push(line("offline-status__line offline-status__line--warn", text.textRevocationsNone));
    } else if (serverLine && Math.abs(listAsOf(list) - serverLine.at) < SAME_LIST_SECONDS && listAgeHours(list) < 1) {
      lines.push(serverLine.node);  // the list the server wrote about, less than an hour old: still true
    } else {
      var hours = listAgeHours(list);
      var age = text.textRevocationsAge
        .replace("{time}", shownTime(new Date(listAsOf(list) * 1000)))
        .replace("{hours}", hours < 1 ? "0" : String(Math.floor(hours)));
      var stale = listIsStale(list);
      var ageLine = line("offline-status__line" + (stale ? " offline-status__line--warn" : ""), age);
      ageLine.id = "offline-list-age";
      lines.push(ageLine);
      if (stale) { lines.push(line("offline-status__line offline-status__line--warn", staleText())); }
    }
    var count = 0;
    try { count = window.indexedDB ? (await queued()).length : 0; } catch (error) { count = 0; }
    statusBox.dataset.waiting = String(count);
    if (count) {
      var waiting = line("offline-status__line offline-status__line--waiting",
        text.textWaiting.replace("{count}", String(count)));
      waiting.id = "offline-waiting";
      lines.push(waiting);
    }
    var box = document.getElementById("offline-lines");
    var same = box.children.length === lines.length && lines.every(function (node, index) {
      return box.children[index] === node || box.children[index].isEqualNode(node);
    });
    if (!same) { box.replaceChildren.apply(box, lines); }  // unchanged lines are not painted again
  }

  function showResults(answers) {
    var list = document.getElementById("offline-results");
    if (!answers.length) { return; }
    var words = {
      stored: text.textSentStored, duplicate: text.textSentDuplicate, conflict: text.textSentConflict,
      held: text.textSentHeld, refused: text.textSentRefused, invalid: text.textSentInvalid
    };
    var kinds = { stored: "ok", duplicate: "ok", held: "warn" };
    answers.forEach(function (answer) {
      var item = answer.item;
      var li = document.createElement("li");
      li.dataset.status = answer.result.status;
      if (answer.result.code) { li.dataset.code = answer.result.code; }
      li.className = "offline-results__item offline-results__item--" + (kinds[answer.result.status] || "bad");
      var when = new Date(item.at);
      li.textContent = [
        item.label || item.permit_number || "", item.direction === "exit" ? text.textExit : text.textEntry,
        (isNaN(when) ? String(item.at) : shownTime(when)) + ":", words[answer.result.status] || answer.result.status,
        answer.result.error || ""
      ].join(" ").trim();
      list.appendChild(li);
    });
    list.hidden = false;
  }

  // --- start ------------------------------------------------------------------------------------------

  // Each file is fetched once per visit. Under the service worker the page ran the kept copies, so
  // they are fetched again from the server ("reload"), and a new version replaces the old one. On the
  // first visit the page has just loaded them itself: the browser's own cache gives the same bytes
  // ("force-cache"), and only what the page has not used yet (the QR decoder's WebAssembly) is
  // downloaded. The page itself is kept by the service worker (on installing, and on each visit).
  async function keepPageFiles() {
    if (!window.caches) { return; }
    var cache = await caches.open("lbt-crossings-v1");
    var controlled = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
    if (!controlled && !("serviceWorker" in navigator && window.isSecureContext)) {
      var page = await fetch(text.pageUrl, { credentials: "same-origin", cache: "no-store" });
      if (page.ok && !page.redirected) { await cache.put(text.pageUrl, page); }
    }
    var files = (text.offlineFiles || "").split(/\s+/).filter(Boolean);
    await Promise.all(files.map(async function (url) {
      var mode = controlled ? "reload" : "force-cache";
      var response = await fetch(new Request(url, { cache: mode, credentials: "same-origin" }));
      if (response.ok) { await cache.put(url, response); }
    }));
  }

  async function start() {
    var work = [];
    if ("serviceWorker" in navigator && window.isSecureContext) {
      work.push(navigator.serviceWorker.register(text.serviceWorkerUrl, { scope: text.serviceWorkerScope })
        .catch(function () { /* the page still works online */ }));
    }
    if (navigator.onLine) {
      work.push(keepPageFiles().catch(function () { /* offline after all */ }));
      work.push(refreshData().catch(function () { /* offline after all: the kept copies stay */ }));
    }
    await Promise.all(work);
    await showStatus();
    await send();
    root.dataset.offlineReady = "true";
  }

  /* A time in the page's language pattern (dd.MM.yyyy, given by the server), on the device's clock:
     never the browser's own format, which follows the phone's settings rather than the guard's language. */
  function shownTime(moment) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (text.datePattern || "dd.MM.yyyy")
      .replace("dd", two(moment.getDate()))
      .replace("MM", two(moment.getMonth() + 1))
      .replace("yyyy", String(moment.getFullYear())) + " " + two(moment.getHours()) + ":" + two(moment.getMinutes());
  }

  /* An ISO day (1985-03-14) in the page language's pattern: 14.03.1985. */
  function shownDay(iso) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    if (!match) { return String(iso || ""); }
    return (text.datePattern || "dd.MM.yyyy").replace("dd", match[3]).replace("MM", match[2]).replace("yyyy", match[1]);
  }

  window.LbtOffline = {
    init: function (element, csrf) {
      root = element;
      text = element.dataset;
      csrfToken = csrf;
      statusBox = document.getElementById("offline-status");
      var written = document.getElementById("offline-list-age");
      serverLine = written && written.dataset.listAt ? { at: Number(written.dataset.listAt), node: written } : null;
      window.addEventListener("online", function () {
        refreshData().catch(function () { /* not yet */ }).then(showStatus).then(send);
      });
      window.addEventListener("offline", showStatus);
      window.setInterval(function () { if (navigator.onLine) { send(); } },
        1000 * Number(text.retrySeconds || 30));
      return start();
    },
    verdict: verdict,
    enqueue: enqueue,
    send: send,
    tokenFromQr: tokenFromQr,
    shownDay: shownDay
  };
})();
