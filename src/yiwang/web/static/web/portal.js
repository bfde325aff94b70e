/* Small progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // Reveal controls that need JavaScript (they are hidden in the HTML).
  document.querySelectorAll(".js-only[hidden]").forEach(function (el) { el.hidden = false; });

  // Forms that must be sent once (submitting an application): ignore a second click while the first is on
  // its way. The server refuses a duplicate anyway (idempotency key); this only spares a second request.
  document.querySelectorAll("form.submit-once").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
  });

  // "打印" buttons on the printable guide.
  document.querySelectorAll("[data-action='print']").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Suggestions while typing (names, aliases, pinyin initials) through the search API, shown by the
  // browser's own accessible <datalist>. Without JavaScript the form simply submits.
  document.querySelectorAll("input[data-suggest-url]").forEach(function (input, index) {
    var list = document.createElement("datalist");
    var timer = null;
    var latest = "";
    list.id = "suggestions-" + index;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    input.addEventListener("input", function () {
      var text = input.value.trim();
      window.clearTimeout(timer);
      if (!text) { list.replaceChildren(); return; }
      timer = window.setTimeout(function () {
        latest = text;
        var url = input.dataset.suggestUrl + "?limit=8&q=" + encodeURIComponent(text);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
            if (latest !== text) { return; }
            list.replaceChildren.apply(list, (data.suggestions || []).map(function (suggestion) {
              var option = document.createElement("option");
              option.value = suggestion.text;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience: stay silent */ });
      }, 200);
    });
  });
})();
