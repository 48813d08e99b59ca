// Galleries and photo pages: placeholder colours while images load, tiles of photos still
// processing that turn into images when ready, images refused by the CDN asked for again once
// the page's signed cookies are renewed, and confirmation before deleting.
// No inline script or style anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  var HEX = /^#[0-9a-f]{6}$/i;
  var POLL_MS = 2000;
  // Renditions cropped square, for the grid's square cells.
  var SQUARE = ["thumb", "square"];
  // Renditions of the whole photo, for the viewer.
  var WHOLE = ["medium", "large"];

  // The placeholder colour shows while an image loads, and goes once it is shown: a
  // transparent photo then shows the page behind it, not the colour.
  // A tile without an image (processing, failed) keeps its colour and its state's style.
  function paintPlaceholder(element) {
    var colour = element.getAttribute("data-placeholder");
    var image = element.tagName === "IMG" ? element : element.querySelector("img");
    if (image && (!HEX.test(colour) || (image.complete && image.naturalWidth > 0))) {
      shown(element);
      return;
    }
    if (HEX.test(colour)) {
      element.style.backgroundColor = colour;
    }
    if (image) {
      image.addEventListener("load", function () { shown(element); }, { once: true });
    }
  }

  function paintPlaceholders(root) {
    root.querySelectorAll("[data-placeholder]").forEach(paintPlaceholder);
  }

  function shown(element) {
    element.style.backgroundColor = "";
    element.classList.add("shown");
  }

  function srcsetOf(photo, names) {
    return names
      .filter(function (name) { return photo.images[name]; })
      .map(function (name) { return photo.images[name].url + " " + photo.images[name].width + "w"; })
      .join(", ");
  }

  // The viewer's slide, as the server writes it on ready tiles (tiles.py, _READY).
  function slideOf(link, photo) {
    var large = photo.images.large || photo.images.thumb;
    link.setAttribute("data-photo", photo.id);
    link.setAttribute("data-pswp-srcset", srcsetOf(photo, WHOLE) || srcsetOf(photo, ["thumb"]));
    link.setAttribute("data-pswp-width", large.width);
    link.setAttribute("data-pswp-height", large.height);
    if (photo.taken_at) {
      link.setAttribute("data-taken", photo.taken_at);
    }
  }

  function imageTile(tile, photo) {
    var link = document.createElement("a");
    link.href = tile.getAttribute("data-href");
    slideOf(link, photo);
    var image = document.createElement("img");
    var thumb = photo.images.thumb;
    // Plain addresses: the page's signed cookies open them.
    image.src = thumb.url;
    image.srcset = srcsetOf(photo, SQUARE);
    image.sizes = "(max-width: 560px) calc(50vw - 20px), 204px";
    image.width = thumb.width;
    image.height = thumb.height;
    watchRefusals(image);
    image.alt = tile.getAttribute("data-alt") || "A photo";
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
          tile.setAttribute("data-placeholder", photo.placeholder_color || "");
          tile.appendChild(imageTile(tile, photo));
          paintPlaceholder(tile);
        } else {
          // Its page says why and lets it be deleted (tiles.py, _FAILED).
          var page = document.createElement("a");
          page.href = tile.getAttribute("data-href");
          page.setAttribute("data-photo", photo.id); // the selection ticks it by its id
          var status = document.createElement("span");
          status.className = "tile-status failed";
          status.textContent = "Couldn't be processed: " + photo.error;
          page.appendChild(status);
          tile.appendChild(page);
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

  // An image the CDN refuses (403) usually means the page's cookies expired while it stayed
  // open, the browser lost them, or the pet's access floor rose: ask for the page again with
  // X-Regrant, which sets every cookie anew, then load the refused images again. A few times,
  // a little further apart each (a page asked for in the very second of a revocation gets no
  // new cookie), then not for a minute: a visitor whose access was really revoked sees the
  // images fail rather than a loop.
  var REGRANT_PAUSES_MS = [0, 2000, 5000];
  var regrants = 0;
  var regranting = false;
  var refused = [];

  function retryRefused() {
    var images = refused;
    refused = [];
    images.forEach(function (image) {
      if (typeof image === "function") {
        image(); // the viewer's retry (viewer.js)
        return;
      }
      watchRefusals(image);
      var srcset = image.getAttribute("srcset");
      if (srcset) {
        image.setAttribute("srcset", srcset);
      }
      image.src = image.getAttribute("src");
    });
  }

  function askForCookies() {
    regranting = true;
    window.setTimeout(function () {
      fetch(window.location.href, {
        credentials: "same-origin",
        headers: { "X-Regrant": "1", Accept: "text/html" }
      }).then(function () {
        regranting = false;
        retryRefused();
      }, function () { regranting = false; });
    }, REGRANT_PAUSES_MS[regrants]);
    regrants += 1;
    if (regrants === REGRANT_PAUSES_MS.length) {
      window.setTimeout(function () { regrants = 0; }, 60000);
    }
  }

  // What was refused: an image, or a function to call once the cookies are renewed.
  function onRefused(image) {
    refused.push(image);
    if (!regranting && regrants < REGRANT_PAUSES_MS.length) {
      askForCookies();
    }
  }

  function watchRefusals(image) {
    image.addEventListener("error", function () { onRefused(image); }, { once: true });
  }

  function watchImages(root) {
    root.querySelectorAll(".tile img, .photo img, img.cover, img.pet-cover").forEach(function (image) {
      if (image.complete && image.naturalWidth === 0 && image.getAttribute("src")) {
        onRefused(image); // failed before this script ran
      } else {
        watchRefusals(image);
      }
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

  // The viewer (viewer.js) sends its refused images here: the same regrant, then its retry.
  window.PetTracker = window.PetTracker || {};
  window.PetTracker.onRefused = onRefused;

  paintPlaceholders(document);
  watchImages(document);
  confirmBeforeSubmit();
  window.setTimeout(pollProcessing, POLL_MS);
})();
