// Registers the service worker (config/pwa.py), which shows the offline page without a network.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  var url = script.getAttribute("data-worker");
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (registration.active) registration.active.postMessage({ lang: document.documentElement.lang });
    }).catch(function () {
      // Not installable here (e.g. plain http on another host): the site works as before.
    });
  });
})();
