// Search as you type in the list's partner box: the partners whose name contains what is
// typed (/partners/suggest) become the box's suggestions. Without script the box still
// filters: the server finds the partners whose name contains the text.
(function () {
  "use strict";
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) { return; }
        last = q;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (partners) {
            if (input.value.trim() !== q) { return; }
            list.replaceChildren.apply(list, partners.map(function (p) {
              var option = document.createElement("option");
              option.value = p.name;
              if (p.country) { option.label = p.name + " (" + p.country + ")"; }
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
