// The query editor page: YASGUI (served from /assets/yasgui/, installed by npm) when present,
// else the plain form. Either way the example picker fills the editor.
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("examples-data").textContent);
  var bySlug = {};
  examples.forEach(function (example) { bySlug[example.slug] = example; });
  var select = document.getElementById("example-select");
  var description = document.getElementById("example-description");
  var container = document.getElementById("yasgui");
  var yasgui = null;

  if (container && window.Yasgui) {
    var endpoint = container.dataset.endpoint;
    yasgui = new window.Yasgui(container, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      populateFromUrl: false,
      persistenceId: null,
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: endpoint }]; },
        keys: []
      }
    });
    var initial = bySlug[select && select.value];
    if (initial) { yasgui.getTab().setQuery(initial.query); }
    window.migkgYasgui = yasgui;
  }

  if (select) {
    select.addEventListener("change", function () {
      var example = bySlug[select.value];
      if (!example) { return; }
      description.textContent = example.description;
      if (yasgui) {
        yasgui.getTab().setQuery(example.query);
      } else {
        document.getElementById("query").value = example.query;
      }
    });
  }
})();
