// The header's menu on narrow screens: a button that shows and hides the links (Escape or a
// tap elsewhere closes it). Without this script the links simply wrap under the brand.
(function () {
  "use strict";

  var button = document.querySelector(".menu-toggle");
  if (!button) {
    return;
  }
  var header = button.closest(".site-header");

  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }

  header.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", function () { setOpen(!isOpen()); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (isOpen() && !header.contains(event.target)) {
      setOpen(false);
    }
  });
})();
