// The viewer's likes and comments (static/js/viewer.js loads this module when its <script> says
// where the counts come from: data-social-counts, from social's {% viewer_social %}). Each slide's
// counts are fetched when it shows, once per visit, so that a gallery's page costs no query more.
// Signed-in visitors who see the pet get the Like button (data-social-like) and a link to the
// photo page's comments (data-social-page); a share link's holders see the counts only.
// Addresses carry NO_ID where the slide's photo id goes.
const NO_ID = "00000000-0000-0000-0000-000000000000";

const THUMB =
  '<svg aria-hidden="true" class="viewer-thumb" viewBox="0 0 24 24" width="20" height="20">' +
  '<path d="M2 21h3V10H2zM22 11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L13.2 2 ' +
  '7.6 7.6c-.4.4-.6.9-.6 1.4v10c0 1.1.9 2 2 2h8.5c.8 0 1.5-.5 1.8-1.2l2.5-6.5c.1-.2.2-.5.2-.7z"/></svg>';
const BUBBLE =
  '<svg aria-hidden="true" class="viewer-bubble" viewBox="0 0 24 24" width="20" height="20">' +
  '<path d="M4 4h16v12H8l-4 4z"/></svg>';

function counted(number, one, many) {
  if (number === 0) {
    return `No ${many}`;
  }
  return `${number.toLocaleString("en")} ${number === 1 ? one : many}`;
}

function part(tagName, className, html) {
  const element = document.createElement(tagName);
  element.className = className;
  element.innerHTML = html; // our own icons only; counts are set as text below
  const words = document.createElement("span");
  element.appendChild(words);
  return { element, words };
}

export function socialElement(pswp, addresses) {
  const known = new Map(); // photo id -> {likes, liked, comments}
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  let root = null;
  let like = null;
  let likes = null;
  let comments = null;

  const current = () => pswp.currSlide && pswp.currSlide.data.photo;
  const address = (template, id) => template.replace(NO_ID, encodeURIComponent(id));

  function show(id) {
    const counts = known.get(id);
    root.hidden = !counts;
    if (!counts) {
      return;
    }
    if (like) {
      like.element.setAttribute("aria-pressed", counts.liked ? "true" : "false");
      like.words.textContent = `Like · ${counts.likes.toLocaleString("en")}`;
      like.element.setAttribute("aria-label", `Like (${counted(counts.likes, "like", "likes")})`);
    } else {
      likes.words.textContent = counted(counts.likes, "like", "likes");
    }
    comments.words.textContent = counted(counts.comments, "comment", "comments");
    if (addresses.socialPage) {
      comments.element.href = address(addresses.socialPage, id);
    }
  }

  async function load(id) {
    if (known.has(id)) {
      show(id);
      return;
    }
    root.hidden = true;
    const response = await fetch(address(addresses.socialCounts, id), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).catch(() => null);
    if (response && response.ok) {
      known.set(id, await response.json());
    }
    if (current() === id) {
      show(id);
    }
  }

  async function toggle() {
    const id = current();
    const counts = known.get(id);
    if (!counts) {
      return;
    }
    like.element.disabled = true;
    const body = new URLSearchParams({ like: counts.liked ? "off" : "on" });
    const response = await fetch(address(addresses.socialLike, id), {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      body,
      credentials: "same-origin",
    }).catch(() => null);
    like.element.disabled = false;
    if (response && response.ok) {
      const answer = await response.json();
      known.set(id, { likes: answer.likes, liked: answer.liked, comments: answer.comments });
    }
    if (current() === id) {
      show(id); // a refused request leaves the button as it was
    }
  }

  return {
    name: "viewer-social",
    order: 10,
    isButton: false,
    appendTo: "root",
    onInit(element) {
      root = element;
      root.hidden = true;
      if (addresses.socialLike) {
        like = part("button", "viewer-like", THUMB);
        like.element.type = "button";
        like.element.addEventListener("click", toggle);
        root.appendChild(like.element);
      } else {
        likes = part("span", "viewer-likes", THUMB);
        root.appendChild(likes.element);
      }
      comments = part(addresses.socialPage ? "a" : "span", "viewer-comments", BUBBLE);
      root.appendChild(comments.element);
      pswp.on("change", () => load(current()));
      if (pswp.currSlide) {
        load(current());
      }
    },
  };
}
