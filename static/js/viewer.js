// The photo viewer over a grid of tiles (a pet's gallery, a share link's, the home page's recent
// photos): PhotoSwipe 5, from the npm registry (package-lock.json), served as static files under
// vendor/photoswipe/. Its modules' hashed addresses come from this script's data- attributes
// (rendered with {% static %}): no inline script, and PhotoSwipe styles its elements through
// element.style, which the Content-Security-Policy allows.
//
// Each tile's link carries its slide (tiles.py, _READY): data-pswp-srcset (the large rendition is
// its widest entry), data-pswp-width/height, data-photo (the id), data-uploader, and data-taken
// (ISO 8601) when known; the caption is the tile's own. Links stay links: without this script
// they open the photo's page (or, on a share link, the large rendition).
//
// The address follows the photo: #photo=<id>. Opening from a tile pushes one history entry;
// moving between photos replaces it, so Back closes the viewer and Forward opens it again; a
// reload (or a link) with the hash opens the viewer on that photo. Closing returns to the
// scroll position of the page and puts the focus on the tile of the photo last shown.
const script = document.querySelector("script[data-pswp-lightbox]");
const GALLERY = "#gallery";
const SLIDES = ".tile a[data-pswp-srcset]";
const HASH = /^#photo=([0-9a-f-]{36})$/i;
const STATE = "pettrackerViewer"; // marks the history entry the viewer pushed

function photoInHash() {
  const match = HASH.exec(window.location.hash);
  return match ? match[1].toLowerCase() : null;
}

function slideLinks(gallery) {
  return Array.from(gallery.querySelectorAll(SLIDES));
}

// "url 1024w, url 2048w": the widest entry's address.
function widest(srcset) {
  let best = { url: "", width: -1 };
  srcset.split(",").forEach((candidate) => {
    const [url, descriptor] = candidate.trim().split(/\s+/);
    const width = parseInt(descriptor, 10) || 0;
    if (url && width > best.width) {
      best = { url, width };
    }
  });
  return best.url;
}

// The time the photo was taken, as the camera's clock said it (the offset is not applied: a photo
// taken at 9 in the morning in Tokyo reads 9 in the morning anywhere).
function formatTaken(iso) {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const wall = dateOnly ? `${iso}T00:00:00Z` : `${iso.slice(0, 19)}Z`;
  const date = new Date(wall);
  if (Number.isNaN(date.getTime())) {
    return "";
  }
  const style = dateOnly ? { dateStyle: "long" } : { dateStyle: "long", timeStyle: "short" };
  return new Intl.DateTimeFormat(undefined, { ...style, timeZone: "UTC" }).format(date);
}

function slideData(itemData, link) {
  const tile = link.closest(".tile");
  const caption = tile ? tile.querySelector(".caption") : null;
  return {
    ...itemData,
    src: widest(link.dataset.pswpSrcset), // not the link's href: that is the photo's page
    thumbCropped: true, // the tiles show square crops
    photo: link.dataset.photo,
    caption: caption ? caption.textContent : "",
    taken: link.dataset.taken || "",
    uploader: link.dataset.uploader || "",
  };
}

function captionElement(pswp) {
  return {
    name: "viewer-caption",
    order: 9,
    isButton: false,
    appendTo: "root",
    onInit(element) {
      element.setAttribute("aria-live", "polite");
      pswp.on("change", () => {
        const data = pswp.currSlide.data;
        element.textContent = "";
        if (data.caption) {
          const text = document.createElement("p");
          text.className = "viewer-caption-text";
          text.textContent = data.caption;
          element.appendChild(text);
        }
        const about = [];
        const taken = data.taken ? formatTaken(data.taken) : "";
        if (taken) {
          about.push(`Taken ${taken}`);
        }
        if (data.uploader) {
          about.push(`Uploaded by ${data.uploader}`);
        }
        if (about.length) {
          const line = document.createElement("p");
          line.className = "viewer-caption-about";
          line.textContent = about.join(" · ");
          element.appendChild(line);
        }
        element.hidden = !element.childNodes.length;
      });
    },
  };
}

const FULL_SCREEN_ICON =
  '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32">' +
  '<path d="M8 8h6v2h-4v4H8zm10 0h6v6h-2v-4h-4zM8 18h2v4h4v2H8zm14 0h2v6h-6v-2h4z"/></svg>';

// Full screen through the Fullscreen API, on the viewer's own element; no button where the
// browser cannot (iPhone Safari, for one).
function fullScreenButton(pswp) {
  const label = () => (document.fullscreenElement ? "Leave full screen" : "Full screen");
  return {
    name: "viewer-fullscreen",
    order: 9,
    isButton: true,
    html: FULL_SCREEN_ICON,
    title: "Full screen",
    onInit(button) {
      const update = () => {
        button.title = label();
        button.setAttribute("aria-label", label());
        button.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
      };
      update();
      document.addEventListener("fullscreenchange", update);
      pswp.on("destroy", () => document.removeEventListener("fullscreenchange", update));
    },
    onClick() {
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(() => {});
      } else {
        pswp.element.requestFullscreen().catch(() => {});
      }
    },
  };
}

// Stands for the slide's photo id in addresses the page gives.
const NO_ID = "00000000-0000-0000-0000-000000000000";

const DOWNLOAD_ICON =
  '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32">' +
  '<path d="M15 7h2v10.6l3.8-3.8 1.4 1.4-6.2 6.2-6.2-6.2 1.4-1.4 3.8 3.8zM9 23h14v2H9z"/></svg>';

// The photo shown, full size, as a download: on a share link whose owner allowed downloads,
// and on signed-in viewers' galleries (data-photo-download on the page: the address, with
// {id} or the zero id, NO_ID, for the photo's).
function downloadButton(pswp, address) {
  return {
    name: "viewer-download",
    order: 8,
    isButton: true,
    tagName: "a",
    html: DOWNLOAD_ICON,
    title: "Download this photo",
    onInit(link) {
      link.setAttribute("download", "");
      link.setAttribute("aria-label", "Download this photo");
      const update = () => {
        const id = encodeURIComponent(pswp.currSlide.data.photo);
        link.href = address.replace("{id}", id).replace(NO_ID, id);
      };
      pswp.on("change", update);
      if (pswp.currSlide) {
        update();
      }
    },
  };
}

const HEART_ICON =
  '<svg aria-hidden="true" class="pswp__icn viewer-heart" viewBox="0 0 32 32" width="32" height="32">' +
  '<path d="M16 27l-1.5-1.4C9 20.6 5.5 17.4 5.5 13.4 5.5 10.2 8 7.7 11.2 7.7c1.8 0 3.5.8 4.8 ' +
  '2.2 1.3-1.4 3-2.2 4.8-2.2 3.2 0 5.7 2.5 5.7 5.7 0 4-3.5 7.2-9 12.2z"/></svg>';

// The heart: one's own favourite mark on the photo shown, for signed-in viewers of a gallery
// that says where to post it (data-favourite-url, with a placeholder id; data-favourites: the
// page's photos already hearted). Posted with the page's CSRF token; the server's answer sets
// the state, so a refused request leaves the button as it was.
function favouriteButton(pswp, gallery) {
  const hearted = new Set((gallery.dataset.favourites || "").split(/\s+/).filter(Boolean));
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  let element = null;
  const update = () => {
    const on = hearted.has(pswp.currSlide.data.photo);
    const label = on ? "Remove from favourites" : "Add to favourites";
    element.title = label;
    element.setAttribute("aria-label", label);
    element.setAttribute("aria-pressed", on ? "true" : "false");
  };
  return {
    name: "viewer-favourite",
    order: 8,
    isButton: true,
    html: HEART_ICON,
    title: "Add to favourites",
    onInit(button) {
      element = button;
      pswp.on("change", update);
      if (pswp.currSlide) {
        update();
      }
    },
    async onClick() {
      const id = pswp.currSlide.data.photo;
      const body = new URLSearchParams({ favourite: hearted.has(id) ? "off" : "on" });
      const response = await fetch(gallery.dataset.favouriteUrl.replace(NO_ID, id), {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
        body,
        credentials: "same-origin",
      }).catch(() => null);
      if (!response || !response.ok) {
        return;
      }
      const answer = await response.json();
      if (answer.favourite) {
        hearted.add(id);
      } else {
        hearted.delete(id);
      }
      gallery.dataset.favourites = Array.from(hearted).join(" ");
      if (pswp.currSlide && pswp.currSlide.data.photo === id) {
        update();
      }
    },
  };
}

async function start() {
  const gallery = document.querySelector(GALLERY);
  // A gallery whose photos are all still processing gets its slides when they turn ready
  // (gallery.js writes them as the server does).
  const processing = '.tile[data-state="processing"]';
  if (!script || !gallery || !(slideLinks(gallery).length || gallery.querySelector(processing))) {
    return;
  }
  const { default: PhotoSwipeLightbox } = await import(script.dataset.pswpLightbox);
  // Likes and comments per slide (social's viewer_social.js), where the page says where from.
  const social = script.dataset.socialModule
    ? await import(script.dataset.socialModule).catch(() => null)
    : null;
  const lightbox = new PhotoSwipeLightbox({
    gallery: GALLERY,
    children: SLIDES,
    pswpModule: () => import(script.dataset.pswpCore),
    // Neighbours load before they are shown: one behind, two ahead.
    preload: [1, 2],
    // Zoom (pinch, double tap, click) up to the large rendition at its own size, no further.
    maxZoomLevel: 1,
    showHideAnimationType: "zoom",
    bgOpacity: 1, // the photo alone, as photo apps show it
    // On wider screens the photo stands above the caption's band rather than under it.
    paddingFn: (viewport) =>
      viewport.x >= 600 && viewport.y >= 500
        ? { top: 0, bottom: 72, left: 0, right: 0 }
        : { top: 0, bottom: 0, left: 0, right: 0 },
    // The focus goes back to the tile of the photo last shown (below), not the one first opened.
    returnFocus: false,
    errorMsg: "This photo can't be shown right now.",
  });
  let scrollAtOpen = null;
  let closingFromHistory = false;

  lightbox.addFilter("itemData", (itemData) =>
    itemData.element ? slideData(itemData, itemData.element) : itemData,
  );

  lightbox.on("uiRegister", () => {
    const { pswp } = lightbox;
    pswp.ui.registerElement(captionElement(pswp));
    const downloads = document.querySelector("[data-photo-download]");
    if (downloads) {
      pswp.ui.registerElement(downloadButton(pswp, downloads.dataset.photoDownload));
    }
    if (gallery.dataset.favouriteUrl) {
      pswp.ui.registerElement(favouriteButton(pswp, gallery));
    }
    if (social) {
      pswp.ui.registerElement(social.socialElement(pswp, script.dataset));
    }
    if (document.fullscreenEnabled && pswp.element.requestFullscreen) {
      pswp.ui.registerElement(fullScreenButton(pswp));
    }
  });

  lightbox.on("afterInit", () => {
    lightbox.pswp.element.setAttribute("aria-label", "Photo viewer");
    lightbox.pswp.element.setAttribute("aria-modal", "true");
  });

  // The address follows the photo shown.
  lightbox.on("change", () => {
    const hash = `#photo=${lightbox.pswp.currSlide.data.photo}`;
    if (window.location.hash === hash) {
      return;
    }
    const state = window.history.state;
    if (photoInHash() || (state && state[STATE])) {
      window.history.replaceState(state, "", hash);
    } else {
      window.history.pushState({ [STATE]: true }, "", hash);
    }
  });

  // An image the CDN refuses: the page's cookies are renewed (gallery.js, as for the tiles),
  // then the slide loads again.
  lightbox.on("loadError", ({ content }) => {
    const regrant = window.PetTracker && window.PetTracker.onRefused;
    if (regrant) {
      regrant(() => {
        if (lightbox.pswp) {
          lightbox.pswp.refreshSlideContent(content.index);
        }
      });
    }
  });

  lightbox.on("close", () => {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
    if (closingFromHistory) {
      return; // Back (or a hash without a photo) closed it: the address is already right
    }
    const state = window.history.state;
    if (state && state[STATE]) {
      window.history.back(); // the entry opening it pushed: Forward opens it again
    } else if (photoInHash()) {
      const { pathname, search } = window.location;
      window.history.replaceState(state, "", pathname + search);
    }
  });

  lightbox.on("destroy", () => {
    const link = lightbox.pswp.currSlide && lightbox.pswp.currSlide.data.element;
    closingFromHistory = false;
    if (scrollAtOpen) {
      window.scrollTo(scrollAtOpen.x, scrollAtOpen.y);
      scrollAtOpen = null;
    }
    if (link && link.isConnected) {
      link.focus({ preventScroll: true });
      const box = link.getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) {
        link.scrollIntoView({ block: "nearest" });
      }
    }
  });

  lightbox.on("beforeOpen", () => {
    scrollAtOpen = { x: window.scrollX, y: window.scrollY };
  });

  function openPhoto(id) {
    const links = slideLinks(gallery);
    const index = links.findIndex((link) => link.dataset.photo === id);
    if (index >= 0) {
      lightbox.loadAndOpen(index, { gallery });
    }
  }

  // Back and Forward: an address without a photo closes the viewer, one with a photo opens it.
  window.addEventListener("popstate", () => {
    const id = photoInHash();
    const { pswp } = lightbox;
    if (pswp && !pswp.isDestroying) {
      if (!id) {
        closingFromHistory = true;
        pswp.close();
      } else if (id !== pswp.currSlide.data.photo) {
        const index = slideLinks(gallery).findIndex((link) => link.dataset.photo === id);
        if (index >= 0) {
          pswp.goTo(index);
        }
      }
    } else if (id && !pswp) {
      openPhoto(id);
    }
  });

  lightbox.init();
  const id = photoInHash();
  if (id) {
    openPhoto(id); // a reload, or a link to the photo in this page
  }
}

start();
