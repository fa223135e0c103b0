// Security keys (WebAuthn) on the two-factor pages: each [data-security-key] box holds the server's
// options as JSON (base64url for the binary parts). On its form's submit the browser asks the key
// (navigator.credentials.create to add one, .get to log in), the answer goes into the hidden
// "credential" field as JSON (base64url again) and the form is sent as usual. Where the page is not a
// secure context or the browser has no WebAuthn, the box says so and its form stays hidden: the codes
// of the app still work, as they do without this script.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return publicKey;
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return publicKey;
  }

  function answer(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null,
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(json);
  }

  function setUp(box) {
    var status = box.querySelector("[data-security-key-status]");
    var form = box.querySelector("form");
    if (!status || !form || !box.dataset.options) { return; }
    if (!window.isSecureContext) { status.textContent = box.dataset.insecure; return; }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      status.textContent = box.dataset.unsupported;
      return;
    }
    status.textContent = "";
    form.hidden = false;
    var registering = box.dataset.securityKey === "register";
    var field = form.elements.namedItem("credential");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = "";
      var options = JSON.parse(box.dataset.options);
      var asked = registering
        ? navigator.credentials.create({ publicKey: creationOptions(options) })
        : navigator.credentials.get({ publicKey: requestOptions(options) });
      asked.then(function (credential) {
        field.value = answer(credential);
        form.submit();  // no submit event: sent as it is
      }).catch(function () {
        button.disabled = false;
        status.textContent = box.dataset.failed;
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-security-key]"), setUp);
})();
