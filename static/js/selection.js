// Many photos of a gallery at once: the select mode. The selection bar's "Select" turns it on
// and off in place (Esc leaves it too), giving each tile one may act on a checkbox of the bar's
// form, as the server draws them without JavaScript (tiles.py _PICK, at ?select=1): every ready
// photo (anyone who sees the gallery may download it), and the tiles of photos one may delete,
// failed ones too, which the server marks (data-deletable, by deletable_by's rule). Delete asks
// that every photo ticked be one's to delete (data-needs="theirs"); Download, that every one be
// ready (data-needs="ready": a failed photo has nothing to download, and the server would refuse
// the whole download). In the mode, a click, a tap, or Space and Enter on a focused tile's link toggles it, and the link speaks as a
// checkbox (role=checkbox, aria-checked, "Select <alt text>"); shift with any of these ticks the
// range from the tile last toggled. The viewer (viewer.js) does not open in it: the click is
// taken before PhotoSwipe's listener on the gallery sees it. The bar counts what is ticked and
// enables the actions that fit the count; each action is a submit button of the bar's form,
// which posts the ticked boxes (form="selection").
(function () {
  "use strict";

  var bar = document.getElementById("selection");
  var gallery = document.getElementById("gallery");
  if (!bar || !gallery) {
    return;
  }
  var root = document.documentElement;
  var toggle = bar.querySelector(".select-toggle");
  var count = bar.querySelector(".selection-count");
  var all = bar.querySelector(".select-all");
  var none = bar.querySelector(".select-none");
  var anchor = null; // the tile last toggled: shift ranges start there

  function tiles() {
    return Array.prototype.slice.call(gallery.querySelectorAll(".tile"));
  }

  function boxOf(tile) {
    return tile.querySelector('.pick input[type="checkbox"]');
  }

  function linkOf(tile) {
    return tile.querySelector(":scope > a");
  }

  function photoOf(link) {
    return link.getAttribute("data-photo") || "";
  }

  function isTheirs(tile) {
    return tile.hasAttribute("data-deletable");
  }

  function isReady(tile) {
    return tile.getAttribute("data-state") === "ready";
  }

  function mayPick(tile) {
    return isReady(tile) || isTheirs(tile);
  }

  // The checkbox the server draws at ?select=1 (tiles.py, _PICK).
  function addBox(tile) {
    var link = linkOf(tile);
    if (boxOf(tile) || !link || !photoOf(link) || !mayPick(tile)) {
      return;
    }
    var label = document.createElement("label");
    label.className = "pick";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = "photo";
    box.value = photoOf(link);
    box.setAttribute("form", "selection");
    var name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = "Select " + altOf(link);
    label.appendChild(box);
    label.appendChild(name);
    tile.appendChild(label);
  }

  function altOf(link) {
    var image = link.querySelector("img");
    return ((image ? image.getAttribute("alt") : "") || "this photo").trim();
  }

  function pickable() {
    return tiles().filter(boxOf);
  }

  function selecting() {
    return root.classList.contains("selecting");
  }

  // The tile's state, on its box, its link (in the select mode) and its ring.
  function show(tile) {
    var box = boxOf(tile);
    var link = linkOf(tile);
    tile.classList.toggle("picked", box.checked);
    if (link && selecting()) {
      link.setAttribute("aria-checked", box.checked ? "true" : "false");
    }
  }

  function set(tile, checked) {
    boxOf(tile).checked = checked;
    show(tile);
  }

  function update() {
    var chosen = pickable().filter(function (tile) { return boxOf(tile).checked; });
    var ticked = chosen.length;
    var allTheirs = chosen.every(isTheirs);
    var allReady = chosen.every(isReady);
    count.textContent = selecting() ? ticked + " selected" : "";
    bar.querySelectorAll("[data-needs]").forEach(function (button) {
      var needs = button.getAttribute("data-needs");
      if (needs === "one") {
        button.disabled = ticked !== 1;
      } else if (needs === "theirs") {
        button.disabled = ticked === 0 || !allTheirs;
      } else if (needs === "ready") {
        button.disabled = ticked === 0 || !allReady;
        // Why it is off, for whoever wonders (a failed photo is ticked to be deleted).
        button.title = ticked && !allReady ? "Only photos that are ready can be downloaded." : "";
      } else {
        button.disabled = ticked === 0;
      }
    });
  }

  // Toggle ``tile``; with shift, give every tile from the anchor to it the state it takes.
  function choose(tile, range) {
    var box = boxOf(tile);
    if (!box) {
      return;
    }
    var checked = !box.checked;
    var list = pickable();
    var from = range && anchor ? list.indexOf(anchor) : -1;
    var to = list.indexOf(tile);
    if (from >= 0) {
      list.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (each) {
        set(each, checked);
      });
    } else {
      set(tile, checked);
    }
    anchor = tile;
    update();
  }

  // In the select mode each pickable tile's link speaks as its checkbox, and the box itself
  // leaves the tab order (the link is the one control); other tiles are dimmed and inert.
  function enter() {
    root.classList.add("selecting");
    bar.classList.add("selecting");
    toggle.textContent = "Done";
    tiles().forEach(function (tile) {
      addBox(tile);
      var box = boxOf(tile);
      var link = linkOf(tile);
      tile.classList.toggle("unpickable", !box);
      if (!box || !link) {
        return;
      }
      link.setAttribute("role", "checkbox");
      link.setAttribute("aria-label", "Select " + altOf(link));
      box.setAttribute("tabindex", "-1");
      box.closest(".pick").setAttribute("aria-hidden", "true");
      show(tile);
    });
    update();
  }

  function leave() {
    root.classList.remove("selecting");
    bar.classList.remove("selecting");
    toggle.textContent = "Select";
    tiles().forEach(function (tile) {
      var box = boxOf(tile);
      var link = linkOf(tile);
      tile.classList.remove("unpickable");
      if (!box || !link) {
        return;
      }
      link.removeAttribute("role");
      link.removeAttribute("aria-label");
      link.removeAttribute("aria-checked");
      box.removeAttribute("tabindex");
      box.closest(".pick").removeAttribute("aria-hidden");
    });
    update();
  }

  // Clicks and taps: taken in the capture phase, before the viewer's listener on the gallery.
  document.addEventListener("click", function (event) {
    if (!selecting()) {
      return;
    }
    var tile = event.target.closest && event.target.closest("#gallery .tile");
    if (!tile) {
      return;
    }
    if (event.target.closest(".pick")) {
      // The box itself: the browser ticks it; a shift-click extends the range from there.
      var box = boxOf(tile);
      if (event.shiftKey && event.target === box && anchor && anchor !== tile) {
        box.checked = !box.checked; // undone: choose() sets the whole range
        choose(tile, true);
      } else if (event.target === box) {
        anchor = tile;
        window.setTimeout(function () { show(tile); update(); }, 0);
      }
      event.stopPropagation();
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    choose(tile, event.shiftKey);
  }, true);

  document.addEventListener("keydown", function (event) {
    if (!selecting()) {
      return;
    }
    if (event.key === "Escape") {
      leave();
      toggle.focus();
      return;
    }
    if (event.key !== " " && event.key !== "Enter") {
      return;
    }
    var link = event.target.closest && event.target.closest("#gallery .tile > a");
    if (!link) {
      return;
    }
    event.preventDefault(); // no scrolling, no following the link, no new window
    event.stopPropagation();
    choose(link.closest(".tile"), event.shiftKey);
  }, true);

  toggle.addEventListener("click", function (event) {
    event.preventDefault(); // the address without JavaScript: ?select=1
    if (selecting()) {
      leave();
    } else {
      enter();
    }
  });

  all.addEventListener("click", function () {
    pickable().forEach(function (tile) { set(tile, true); });
    update();
  });

  none.addEventListener("click", function () {
    pickable().forEach(function (tile) { set(tile, false); });
    anchor = null;
    update();
  });

  // Drawn in the select mode (?select=1), or boxes the browser kept ticked across a reload:
  // start in it.
  root.classList.add("selection-ready");
  [all, none].forEach(function (button) { button.hidden = false; });
  if (bar.classList.contains("selecting") || pickable().length) {
    enter();
  } else {
    update();
  }
})();
