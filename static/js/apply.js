/* The resident pages: the application form in steps, checks of a step before moving on, the Latin
   spelling of names suggested while typing, and upload checks before anything is sent.
   Without this script the form is one long page that works the same: the server checks everything.
   Texts come from data-text-* attributes that the server renders in the reader's language. */
(function () {
  "use strict";

  // lbt/transliteration.py: ICAO Doc 9303 Part 3 Cyrillic table, then Tajik and Kyrgyz letters
  var TABLE = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Е": "E", "Ё": "E", "Є": "IE",
    "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I", "Ї": "I", "Й": "I", "Ј": "J", "К": "K",
    "Л": "L", "Љ": "LJ", "М": "M", "Н": "N", "Њ": "NJ", "О": "O", "П": "P", "Р": "R", "С": "S",
    "Т": "T", "Ћ": "C", "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Џ": "DZ",
    "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
    "Ғ": "GH", "Ӣ": "I", "Қ": "Q", "Ӯ": "U", "Ҳ": "H", "Ҷ": "J",
    "Ң": "N", "Ө": "O", "Ү": "U"
  };

  function toLatin(name) {
    var result = "";
    Array.from(name.trim().toUpperCase()).forEach(function (char) {
      if (Object.prototype.hasOwnProperty.call(TABLE, char)) {
        result += TABLE[char];
      } else {
        // Latin letters with diacritics lose them (Ö -> O), as in the machine-readable zone
        result += char.normalize("NFKD").replace(/\p{M}/gu, "");
      }
    });
    result = result.replace(/\u2019/g, "'").replace(/[^A-Z '\-]/g, "");
    return result.replace(/\s+/g, " ").trim();
  }

  function text(form, key, values) {
    var message = form.dataset["text" + key] || "";
    Object.keys(values || {}).forEach(function (name) {
      message = message.split("{" + name + "}").join(String(values[name]));
    });
    return message;
  }

  function megabytes(bytes) {
    return Math.floor(bytes / 1048576);
  }

  function isShown(element) {
    return !element.closest("[hidden]");
  }

  // --- errors beside the fields ---------------------------------------------------------------

  function fieldOf(element) {
    return element.closest(".field");
  }

  function clearError(element) {
    var field = fieldOf(element);
    if (!field) {
      return;
    }
    field.querySelectorAll(".field__error").forEach(function (node) {
      node.remove();
    });
    field.classList.remove("field--error");
    field.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
  }

  function showError(element, message) {
    clearError(element);
    var field = fieldOf(element);
    if (!field) {
      return;
    }
    var error = document.createElement("p");
    error.className = "field__error";
    error.id = (element.id || element.name) + "-client-error";
    error.textContent = message;
    field.appendChild(error);
    field.classList.add("field--error");
    element.setAttribute("aria-invalid", "true");
    var described = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(error.id) < 0) {
      described.push(error.id);
      element.setAttribute("aria-describedby", described.join(" "));
    }
  }

  // --- upload checks (both the application and the answers on the status page) ---------------

  function initUploads(form) {
    form.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files[0];
        var max = Number(input.dataset.maxBytes);
        var preview = form.querySelector('[data-preview-for="' + input.id + '"]');
        if (file && file.size > max) {
          showError(input, text(form, "TooLarge", { mb: megabytes(max) }));
          input.value = "";
          file = null;
        } else {
          clearError(input);
        }
        if (preview) {
          if (preview.src) {
            URL.revokeObjectURL(preview.src);
          }
          preview.hidden = !(file && /^image\//.test(file.type));
          if (!preview.hidden) {
            preview.src = URL.createObjectURL(file);
          }
        }
      });
    });
    form.querySelectorAll("[data-documents]").forEach(function (container) {
      initDocumentRows(form, container);
    });
  }

  function totalTooLarge(form) {
    var total = 0;
    var last = null;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.from(input.files || []).forEach(function (file) {
        total += file.size;
        last = input;
      });
    });
    var max = Number(form.dataset.maxTotal || 0);
    if (max && total > max) {
      showError(last, text(form, "Total", { mb: megabytes(max) }));
      return last;
    }
    return null;
  }

  /* Empty document rows beyond the first stay folded until the person asks for another one. */
  function initDocumentRows(form, container) {
    var rows = Array.from(container.querySelectorAll(".document"));
    var emptyShown = false;
    rows.forEach(function (row) {
      if (row.hasAttribute("data-filled")) {
        return;
      }
      row.hidden = emptyShown;
      emptyShown = true;
    });
    var add = document.createElement("button");
    add.type = "button";
    add.className = "button documents__add";
    add.textContent = text(form, "Add");
    container.after(add);
    function update() {
      add.hidden = !rows.some(function (row) {
        return row.hidden;
      });
    }
    add.addEventListener("click", function () {
      var next = rows.find(function (row) {
        return row.hidden;
      });
      if (next) {
        next.hidden = false;
        next.querySelector("select, input").focus();
      }
      update();
    });
    update();
  }

  function sending(form) {
    var button = form.querySelector("[data-submit]");
    if (!button) {
      return;
    }
    button.disabled = true;
    var note = form.querySelector(".sending");
    if (!note) {
      note = document.createElement("p");
      note.className = "sending";
      note.setAttribute("role", "status");
      button.after(note);
    }
    note.textContent = text(form, "Sending");
  }

  function initUploadForm(form) {
    initUploads(form);
    form.addEventListener("submit", function (event) {
      if (totalTooLarge(form)) {
        event.preventDefault();
        return;
      }
      sending(form);
    });
  }

  // --- checks of one step ---------------------------------------------------------------------

  function missing(element) {
    if (element.type === "file") {
      return element.files.length === 0;
    }
    if (element.type === "checkbox") {
      return !element.checked;
    }
    return element.value.trim() === "";
  }

  /* A date as people type it, read as the server reads it (lbt/core/dates.py parse_typed_date):
     14.03.1985, 14/03/1985, 14-03-1985, 14031985 or 1985-03-14; a real day, years 1900-2100. */
  function typedDate(value) {
    var text = value.trim();
    var parts = null;
    var match;
    if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text))) {
      parts = [match[3], match[2], match[1]];
    } else if ((match = /^(\d{1,2})\s*[.\/\-]\s*(\d{1,2})\s*[.\/\-]\s*(\d{4})$/.exec(text)) ||
               (match = /^(\d{2})(\d{2})(\d{4})$/.exec(text))) {
      parts = [match[1], match[2], match[3]];
    }
    if (!parts) {
      return null;
    }
    var day = Number(parts[0]);
    var month = Number(parts[1]);
    var year = Number(parts[2]);
    if (year < 1900 || year > 2100) {
      return null;
    }
    var moment = new Date(Date.UTC(year, month - 1, day));
    if (moment.getUTCFullYear() !== year || moment.getUTCMonth() !== month - 1 || moment.getUTCDate() !== day) {
      return null; // 31.02 rolls over into March
    }
    return moment;
  }

  /* The first control of ``scope`` that fails, after marking every failing one. */
  function checkControls(form, scope) {
    var first = null;
    var radiosSeen = {};
    function fail(element, message) {
      showError(element, message);
      first = first || element;
    }
    scope.querySelectorAll("input, select, textarea").forEach(function (element) {
      if (element.disabled || element.type === "hidden" || !isShown(element)) {
        return;
      }
      if (element.type === "radio") {
        if (radiosSeen[element.name]) {
          return;
        }
        radiosSeen[element.name] = true;
        var group = form.querySelectorAll('input[type=radio][name="' + element.name + '"]');
        var checked = Array.from(group).some(function (radio) {
          return radio.checked;
        });
        if (element.required && !checked) {
          fail(element, text(form, "Required"));
        }
        return;
      }
      var row = element.closest(".document");
      var required = element.required;
      if (row && element.tagName === "SELECT") {
        // the kind of a document is needed once a file is chosen or kept
        var file = row.querySelector("input[type=file]");
        required = (file && file.files.length > 0) || !!row.querySelector('input[type=hidden][name$="-token"]');
      }
      if (required && missing(element)) {
        fail(element, text(form, "Required"));
      } else if (element.dataset.date && element.value.trim() !== "" && !typedDate(element.value)) {
        fail(element, element.dataset.dateMessage || text(form, "Invalid"));
      } else if (element.validity && !element.validity.valid && !element.validity.valueMissing) {
        fail(element, text(form, "Invalid"));
      }
    });
    return first;
  }

  // --- fields shown or required depending on another answer -------------------------------------

  function holds(form, condition) {
    var match = /^(\w+)(!?=)(.*)$/.exec(condition);
    if (!match) {
      return true;
    }
    var control = form.elements[match[1]];
    var value = control ? control.value : "";
    return match[2] === "=" ? value === match[3] : value !== match[3];
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (wrapper) {
      var on = holds(form, wrapper.dataset.showWhen);
      wrapper.hidden = !on;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (element) {
        element.disabled = !on; // a hidden answer is not sent
        element.required = on;
      });
    });
    form.querySelectorAll("[data-required-when]").forEach(function (wrapper) {
      var on = holds(form, wrapper.dataset.requiredWhen);
      wrapper.querySelectorAll("input, select, textarea").forEach(function (element) {
        element.required = on;
      });
    });
  }

  /* Reasons and fee exemptions the chosen locality's agreement does not accept are hidden. */
  function filterByAgreement(form) {
    var locality = form.elements.locality_id;
    if (!locality) {
      return;
    }
    var chosen = locality.options[locality.selectedIndex];
    var agreement = chosen ? chosen.dataset.agreement : undefined;
    ["reason", "fee_exemption"].forEach(function (name) {
      var select = form.elements[name];
      if (!select) {
        return;
      }
      Array.from(select.options).forEach(function (option) {
        if (option.dataset.agreements === undefined) {
          return;
        }
        var accepted = !agreement || option.dataset.agreements.split(" ").indexOf(agreement) >= 0;
        option.hidden = !accepted;
        option.disabled = !accepted;
        if (!accepted && option.selected) {
          select.value = "";
        }
      });
    });
  }

  function initLatinNames(form) {
    form.querySelectorAll("[data-latin-from]").forEach(function (latin) {
      var source = form.elements[latin.dataset.latinFrom];
      if (!source) {
        return;
      }
      // suggest only while the Latin spelling was not changed by hand
      var automatic = latin.value === "" || latin.value === toLatin(source.value);
      source.addEventListener("input", function () {
        if (automatic) {
          latin.value = toLatin(source.value);
          clearError(latin);
        }
      });
      latin.addEventListener("input", function () {
        automatic = latin.value === "" || latin.value === toLatin(source.value);
      });
    });
  }

  // --- review of everything entered, on the last step ------------------------------------------

  function labelOf(field) {
    var label = field.querySelector("legend, .field__label, label");
    if (!label) {
      return "";
    }
    var copy = label.cloneNode(true);
    copy.querySelectorAll(".required, input").forEach(function (node) {
      node.remove();
    });
    return copy.textContent.trim();
  }

  function valueOf(field) {
    var checked = field.querySelector("input[type=radio]:checked");
    if (checked) {
      return field.querySelector('label[for="' + checked.id + '"]').textContent.trim();
    }
    var file = field.querySelector("input[type=file]");
    if (file) {
      var kept = field.querySelector(".upload__kept");
      return file.files.length ? file.files[0].name : kept ? kept.textContent.trim() : "";
    }
    var control = field.querySelector("select, textarea, input:not([type=hidden])");
    if (!control || control.disabled) {
      return "";
    }
    if (control.tagName === "SELECT") {
      // an optional select's empty choice says something too ("No")
      return control.selectedIndex >= 0 ? control.options[control.selectedIndex].textContent.trim() : "";
    }
    return control.value.trim(); // a date as typed: the review always shows what the person wrote
  }

  function buildReview(form, steps, show) {
    var box = form.querySelector("[data-review]");
    if (!box) {
      return;
    }
    box.textContent = "";
    var title = document.createElement("h3");
    title.textContent = text(form, "Review");
    box.appendChild(title);
    steps.slice(0, -1).forEach(function (step, index) {
      var section = document.createElement("section");
      section.className = "review__step";
      var head = document.createElement("div");
      head.className = "review__head";
      var heading = document.createElement("h4");
      heading.textContent = step.querySelector(".step__title").textContent.trim();
      var change = document.createElement("button");
      change.type = "button";
      change.className = "link-button";
      change.textContent = text(form, "Change");
      change.addEventListener("click", function () {
        show(index, true);
      });
      head.append(heading, change);
      var list = document.createElement("dl");
      list.className = "review__list";
      step.querySelectorAll(".field").forEach(function (field) {
        var row = field.closest(".document");
        var hidden = field.closest("[hidden]");
        if ((hidden && hidden !== step) || (row && !row.querySelector("input[type=file]").files.length &&
                                             !row.querySelector(".upload__kept"))) {
          return; // a field the person cannot see now, or an empty document row
        }
        var value = valueOf(field);
        var term = document.createElement("dt");
        term.textContent = labelOf(field);
        var detail = document.createElement("dd");
        detail.textContent = value || text(form, "Empty");
        list.append(term, detail);
      });
      section.append(head, list);
      box.appendChild(section);
    });
    box.hidden = false;
  }

  // --- the steps ----------------------------------------------------------------------------

  function initSteps(form) {
    var steps = Array.from(form.querySelectorAll("fieldset.step"));
    if (steps.length < 2) {
      return;
    }
    form.classList.add("is-stepped");
    var current = 0;

    var progress = document.createElement("div");
    progress.className = "progress";
    var progressText = document.createElement("p");
    progressText.className = "progress__text";
    progressText.setAttribute("aria-live", "polite");
    var progressCount = document.createElement("span");
    var progressName = document.createElement("span");
    progressName.className = "visually-hidden"; // the step's heading shows it; screen readers hear it here
    progressText.append(progressCount, progressName);
    var intro = document.querySelector(".apply-intro");
    var bar = document.createElement("ol");
    bar.className = "progress__bar";
    bar.setAttribute("aria-hidden", "true");
    steps.forEach(function () {
      bar.appendChild(document.createElement("li"));
    });
    progress.append(progressText, bar);
    steps[0].before(progress);

    function show(index, focus) {
      current = index;
      steps.forEach(function (step, position) {
        step.hidden = position !== index;
        bar.children[position].className = position < index ? "is-done" : position === index ? "is-current" : "";
      });
      var title = steps[index].querySelector(".step__title");
      progressCount.textContent = text(form, "Step", { n: index + 1, total: steps.length });
      progressName.textContent = ": " + title.textContent.trim();
      if (intro) {
        intro.hidden = index > 0; // read once, before the first step
      }
      if (index === steps.length - 1) {
        buildReview(form, steps, show);
      }
      if (focus) {
        progress.scrollIntoView({ block: "start" });
        title.focus({ preventScroll: true });
      }
    }

    function next() {
      var failed = checkControls(form, steps[current]);
      if (failed) {
        failed.focus();
        return;
      }
      show(current + 1, true);
    }

    steps.forEach(function (step, index) {
      var nav = step.querySelector(".actions--submit");
      if (!nav) {
        nav = document.createElement("div");
        nav.className = "step-nav";
        step.appendChild(nav);
      }
      if (index > 0) {
        var back = document.createElement("button");
        back.type = "button";
        back.className = "button step-nav__back";
        back.textContent = text(form, "Back");
        back.addEventListener("click", function () {
          show(index - 1, true);
        });
        nav.prepend(back);
      }
      if (index < steps.length - 1) {
        var forward = document.createElement("button");
        forward.type = "button";
        forward.className = "button button--primary step-nav__next";
        forward.textContent = text(form, "Next");
        forward.addEventListener("click", next);
        nav.appendChild(forward);
      }
    });

    form.addEventListener("submit", function (event) {
      if (current < steps.length - 1) {
        event.preventDefault(); // Enter in a field moves on instead of sending half a form
        next();
        return;
      }
      for (var index = 0; index < steps.length; index += 1) {
        var failed = checkControls(form, steps[index]);
        if (failed) {
          event.preventDefault();
          show(index, false);
          failed.focus();
          return;
        }
      }
      var tooLarge = totalTooLarge(form);
      if (tooLarge) {
        event.preventDefault();
        show(steps.indexOf(tooLarge.closest(".step")), false);
        tooLarge.focus();
        return;
      }
      sending(form);
    });

    // links of the error summary open the step of their field
    document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        var step = target && target.closest(".step");
        if (step) {
          event.preventDefault();
          show(steps.indexOf(step), false);
          target.focus();
          target.scrollIntoView({ block: "center" });
        }
      });
    });

    var firstError = form.querySelector(".field--error");
    show(firstError ? steps.indexOf(firstError.closest(".step")) : 0, false);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function initApplication(form) {
    initUploads(form);
    initLatinNames(form);
    applyConditions(form);
    filterByAgreement(form);
    form.addEventListener("change", function (event) {
      applyConditions(form);
      if (event.target.name === "locality_id") {
        filterByAgreement(form);
      }
    });
    form.addEventListener("input", function (event) {
      if (event.target.matches("input:not([type=file]), select, textarea")) {
        clearError(event.target);
      }
    });
    initSteps(form);
  }

  document.querySelectorAll("form[data-apply-form]").forEach(initApplication);
  document.querySelectorAll("form[data-upload-form]").forEach(initUploadForm);

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // a page restored with the Back button must not keep its buttons disabled
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-submit]").forEach(function (button) {
      button.disabled = false;
    });
    document.querySelectorAll(".sending").forEach(function (note) {
      note.remove();
    });
  });
})();
