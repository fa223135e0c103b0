// The interactive API reference: Swagger UI (static/vendor/swagger-ui) over the document named in
// data-url. No validator badge (it would load an image from validator.swagger.io), no deep links in
// the address, no syntax colouring (its colours are too faint to read). What Swagger UI draws
// without a name or a keyboard stop gets one here, as it draws it: the close buttons, the request
// body's text box, and the scrolling code blocks (WCAG 2.1: names, and scrolling by keyboard).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  var noscript = root.querySelector("noscript");
  if (noscript) { noscript.remove(); }

  function mend() {
    root.querySelectorAll("button.close-modal:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", root.dataset.labelClose);
    });
    // its accessible name must contain the word it shows ("Authorize")
    root.querySelectorAll("button.authorize[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
    });
    root.querySelectorAll("textarea:not([aria-label])").forEach(function (box) {
      box.setAttribute("aria-label", root.dataset.labelBody);
    });
    root.querySelectorAll("pre:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
    });
  }
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });

  window.SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    validatorUrl: null,
    deepLinking: false,
    syntaxHighlight: false,
    persistAuthorization: false,
    defaultModelsExpandDepth: 1,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
