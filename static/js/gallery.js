// Galleries and photo pages: placeholder colours while images load, tiles of photos still
// processing that turn into images when ready, and confirmation before deleting.
// No inline script or style anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  var HEX = /^#[0-9a-f]{6}$/i;
  var POLL_MS = 2000;
  var NOMINAL_WIDTHS = { thumb: 256, medium: 1024, large: 2048 };

  function paintPlaceholders(root) {
    root.querySelectorAll("[data-placeholder]").forEach(function (element) {
      var colour = element.getAttribute("data-placeholder");
      if (HEX.test(colour)) {
        element.style.backgroundColor = colour;
      }
    });
  }

  function imageTile(tile, photo) {
    var link = document.createElement("a");
    link.href = tile.getAttribute("data-href");
    var image = document.createElement("img");
    image.src = photo.renditions.thumb;
    // The longest edges; the next page load has the exact widths.
    image.srcset = Object.keys(NOMINAL_WIDTHS)
      .filter(function (name) { return photo.renditions[name]; })
      .map(function (name) { return photo.renditions[name] + " " + NOMINAL_WIDTHS[name] + "w"; })
      .join(", ");
    image.sizes = "(max-width: 560px) 45vw, 240px";
    image.width = 256;
    image.height = 256;
    image.alt = "A new photo";
    link.appendChild(image);
    return link;
  }

  function refresh(tile) {
    return fetch(tile.getAttribute("data-api"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (response.status === 404) {
          tile.remove(); // deleted meanwhile, or no longer shared
        }
        return response.ok ? response.json() : null;
      })
      .then(function (photo) {
        if (!photo || photo.state === "processing") {
          return;
        }
        tile.setAttribute("data-state", photo.state);
        tile.textContent = "";
        if (photo.state === "ready") {
          if (HEX.test(photo.placeholder_color || "")) {
            tile.style.backgroundColor = photo.placeholder_color;
          }
          tile.appendChild(imageTile(tile, photo));
        } else {
          var status = document.createElement("span");
          status.className = "tile-status failed";
          status.textContent = "Couldn't be processed: " + photo.error;
          tile.appendChild(status);
        }
      })
      .catch(function () { /* try again on the next round */ });
  }

  function pollProcessing() {
    var waiting = document.querySelectorAll('.tile[data-state="processing"][data-api]');
    if (!waiting.length) {
      return;
    }
    Promise.all(Array.prototype.map.call(waiting, refresh)).then(function () {
      window.setTimeout(pollProcessing, POLL_MS);
    });
  }

  function confirmBeforeSubmit() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  paintPlaceholders(document);
  confirmBeforeSubmit();
  window.setTimeout(pollProcessing, POLL_MS);
})();
