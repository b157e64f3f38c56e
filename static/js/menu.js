// The header's disclosure menu (<details id="site-menu">): closed on a phone until its button
// is pressed, always open on a wide screen. Without this script it is a plain <details>.
(function () {
  "use strict";
  var menu = document.getElementById("site-menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 48rem)");
  function sync() {
    menu.open = wide.matches;
    menu.classList.toggle("wide", wide.matches);
  }
  sync();
  if (wide.addEventListener) wide.addEventListener("change", sync);
  // Escape closes the phone menu and gives the focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  // A tap outside the open phone menu closes it.
  document.addEventListener("click", function (event) {
    if (menu.open && !wide.matches && !menu.contains(event.target)) menu.open = false;
  });
})();
