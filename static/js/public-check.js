// The public permit check: verify the compact JWS in the URL fragment (ES256, RFC 7515/7518) with
// WebCrypto against the published JWK Set. Nothing is sent to the server but the request for the keys.
(function () {
  "use strict";

  // The day on the reader's clock (a phone at the border keeps local time), not UTC's: validity
  // dates are the issuing state's calendar days.
  function localDate() {
    var today = new Date();
    return new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }
  var root = document.getElementById("check");
  if (!root) { return; }
  var result = document.getElementById("check-result");
  var claimsList = document.getElementById("check-claims");
  var validity = document.getElementById("check-validity");

  function say(key, state) {
    result.textContent = root.dataset[key];
    result.className = "check__result check__result--" + state;
  }

  function b64urlBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  function b64urlJson(text) {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlBytes(text)));
  }

  /* An ISO day of the claims (1985-03-14) as the page's language writes it (the server gives the pattern). */
  function day(iso) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    return match ? (root.dataset.datePattern || "dd.MM.yyyy").replace("dd", match[3]).replace("MM", match[2])
      .replace("yyyy", match[1]) : String(iso || "");
  }

  var names = {};
  try { names = JSON.parse(root.dataset.names || "{}"); } catch (error) { names = {}; }

  function named(kind, code) {
    var name = (names[kind] || {})[code];
    return name ? name + " (" + code + ")" : code;
  }

  function show(claims) {
    var values = {
      pn: claims.pn, name: (claims.fn + " " + (claims.gn || "")).trim(), dob: day(claims.dob),
      iss: named("states", claims.iss), agr: named("agreements", claims.agr), vf: day(claims.vf),
      vu: day(claims.vu), msd: String(claims.msd)
    };
    claimsList.querySelectorAll("[data-claim]").forEach(function (cell) {
      cell.textContent = values[cell.dataset.claim] || "";
    });
    claimsList.hidden = false;
    var today = localDate();
    validity.textContent = today > claims.vu ? root.dataset.textExpired
      : today < claims.vf ? root.dataset.textNotYet : root.dataset.textInValidity;
    validity.hidden = false;
    // where it is valid: the border area of the issuing state (this instance's) named by its agreement
    document.querySelectorAll("[data-area-for]").forEach(function (area) {
      area.hidden = !(claims.iss === root.dataset.homeState && area.dataset.areaFor === claims.agr);
    });
  }

  async function check() {
    var token = decodeURIComponent(window.location.hash.replace(/^#/, "")).trim();
    if (!token) { say("textMissing", "info"); return; }
    var parts = token.split(".");
    if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts.join(""))) { say("textMalformed", "bad"); return; }
    var header, claims, signature;
    try {
      header = b64urlJson(parts[0]);
      signature = b64urlBytes(parts[2]);
    } catch (error) { say("textMalformed", "bad"); return; }
    if (header.alg !== "ES256" || !header.kid || !/lbt-permit\+jwt$/i.test(header.typ || "") || signature.length !== 64) {
      say("textMalformed", "bad"); return;
    }
    var jwks;
    try {
      var response = await fetch(root.dataset.jwksUrl, { credentials: "omit" });
      if (!response.ok) { throw new Error(String(response.status)); }
      jwks = await response.json();
    } catch (error) { say("textOffline", "info"); return; }
    var jwk = (jwks.keys || []).filter(function (key) { return key.kid === header.kid; })[0];
    var partner = null;  // a permit of the partner state: its keys came over the exchange
    if (!jwk) {
      partner = await partnerOf(header.kid);
      jwk = partner && partner.jwk;
    }
    if (!jwk) { say("textUnknownKey", "bad"); return; }
    try {
      var key = await crypto.subtle.importKey(
        "jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      var signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
      var ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
      if (!ok) { say("textForged", "bad"); return; }
    } catch (error) { say("textForged", "bad"); return; }
    try {
      claims = b64urlJson(parts[1]);  // read only what the signature vouches for
    } catch (error) { say("textMalformed", "bad"); return; }
    if (partner) {
      if (claims.iss !== partner.code) { say("textUnknownKey", "bad"); return; }
      result.textContent = root.dataset.textGenuinePartner.replace("{state}", partner.name);
      result.className = "check__result check__result--ok";
      show(claims);
      var day = localDate();
      if (day >= claims.vf && day <= claims.vu) { await partnerWithdrawn(signature, partner); }
      return;
    }
    say("textGenuine", "ok");
    show(claims);
    var today = localDate();
    if (claims.iss === root.dataset.homeState && today >= claims.vf && today <= claims.vu) {
      await withdrawn(signature, jwks);
    }
  }

  /* The partner states' keys and withdrawn permits, as the exchange between the two services carried them. */
  var partners = null;
  async function partnerOf(kid) {
    if (!root.dataset.partnersUrl) { return null; }
    try {
      if (!partners) {
        var response = await fetch(root.dataset.partnersUrl, { credentials: "omit" });
        if (!response.ok) { throw new Error(String(response.status)); }
        partners = (await response.json()).states || {};
      }
    } catch (error) { return null; }
    var found = null;
    Object.keys(partners).forEach(function (code) {
      var key = (partners[code].keys || []).filter(function (candidate) { return candidate.kid === kid; })[0];
      if (key && !found) { found = { code: code, name: partners[code].name || code, jwk: key, withdrawn: partners[code].withdrawn || {} }; }
    });
    return found;
  }

  async function digestOf(signature) {
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", signature)).slice(0, 16);
    return btoa(String.fromCharCode.apply(null, digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function partnerWithdrawn(signature, partner) {
    var status = partner.withdrawn[await digestOf(signature)];
    if (status) {
      say("text" + status.charAt(0).toUpperCase() + status.slice(1), "bad");
      validity.hidden = true;
    }
  }

  /* The signed public status list holds SHA-256/128 of the signatures of withdrawn permits: look this one up. */
  async function withdrawn(signature, jwks) {
    var list;
    try {
      var response = await fetch(root.dataset.statusUrl, { credentials: "omit" });
      if (!response.ok) { throw new Error(String(response.status)); }
      var token = (await response.json()).token;
      var parts = token.split(".");
      var header = b64urlJson(parts[0]);
      if (header.alg !== "ES256" || !/lbt-status\+jwt$/i.test(header.typ || "")) { throw new Error("typ"); }
      var jwk = (jwks.keys || []).filter(function (key) { return key.kid === header.kid; })[0];
      if (!jwk) { throw new Error("kid"); }
      var key = await crypto.subtle.importKey(
        "jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      var ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, b64urlBytes(parts[2]),
        new TextEncoder().encode(parts[0] + "." + parts[1]));
      if (!ok) { throw new Error("signature"); }
      list = b64urlJson(parts[1]);
    } catch (error) {
      validity.textContent = root.dataset.textStatusUnknown;
      return;
    }
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", signature)).slice(0, 16);
    var text = btoa(String.fromCharCode.apply(null, digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    var status = (list.withdrawn || {})[text];
    if (status) {
      say("text" + status.charAt(0).toUpperCase() + status.slice(1), "bad");
      validity.hidden = true;
      return;
    }
    var made = new Date(list.iat * 1000);
    var clock = String(made.getHours()).padStart(2, "0") + ":" + String(made.getMinutes()).padStart(2, "0");
    validity.textContent = root.dataset.textNotWithdrawn.replace("{time}", clock);
  }

  window.addEventListener("hashchange", check);
  check();
})();
