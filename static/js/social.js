// Likes and comments on a photo's page (templates/social/photo_social.html), without reloading:
// the forms work without this script (each POST comes back to the page); with it, they are
// posted with fetch (the form's own CSRF token, JSON answers), the counts and the list change in
// place, and what went wrong is said in the section's live region, the text typed kept.
(function () {
  "use strict";

  const section = document.querySelector("[data-social]");
  if (!section) {
    return;
  }
  const status = section.querySelector("[data-social-status]");
  const likeForm = section.querySelector("[data-social-like]");
  const commentForm = section.querySelector("[data-comment-form]");
  const list = section.querySelector("[data-comment-list]");
  const text = section.querySelector("[data-comment-text]");
  const counter = section.querySelector("[data-comment-counter]");

  function counted(number, one, many) {
    if (number === 0) {
      return `No ${many}`;
    }
    return `${number.toLocaleString("en")} ${number === 1 ? one : many}`;
  }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  // POST a form's fields; the answer's JSON, or an error's message (the server's words when it
  // gave some) thrown.
  async function post(form, action) {
    let response;
    try {
      response = await fetch(action || form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (error) {
      throw new Error("The server could not be reached: check the connection and try again.");
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(answer.error || `That did not work (error ${response.status}); try again.`);
    }
    return answer;
  }

  function showCommentCount(count) {
    section.querySelector("[data-comment-count]").textContent = counted(count, "comment", "comments");
  }

  if (likeForm) {
    likeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = likeForm.querySelector("button");
      button.disabled = true;
      try {
        const answer = await post(likeForm);
        button.setAttribute("aria-pressed", answer.liked ? "true" : "false");
        likeForm.querySelector("input[name=like]").value = answer.liked ? "off" : "on";
        section.querySelector("[data-like-count]").textContent = counted(answer.likes, "like", "likes");
        section.querySelector("[data-likers]").textContent = answer.liked_by ? ` · ${answer.liked_by}` : "";
        showCommentCount(answer.comments);
        say("");
      } catch (error) {
        say(error.message, true);
      } finally {
        button.disabled = false;
      }
    });
  }

  function updateCounter() {
    if (!text || !counter) {
      return;
    }
    const most = parseInt(counter.dataset.max, 10);
    const length = Array.from(text.value).length;
    counter.textContent = `${length.toLocaleString("en")} of ${most.toLocaleString("en")} characters`;
  }

  if (commentForm && text) {
    text.addEventListener("input", updateCounter);
    commentForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = commentForm.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const answer = await post(commentForm);
        list.insertAdjacentHTML("beforeend", answer.html); // rendered and escaped by the server
        showCommentCount(answer.comments);
        text.value = "";
        updateCounter();
        say("Your comment is posted.");
      } catch (error) {
        say(error.message, true); // the text stays in the field
      } finally {
        button.disabled = false;
      }
    });
  }

  // Delete: asked once (nothing brings a comment back), then removed in place; the focus goes to
  // the comment field, since the button pressed is gone.
  if (list) {
    list.addEventListener("submit", async (event) => {
      const form = event.target.closest("[data-comment-delete]");
      if (!form) {
        return;
      }
      event.preventDefault();
      if (!window.confirm("Delete this comment? It cannot be brought back.")) {
        return;
      }
      try {
        const answer = await post(form);
        form.closest(".comment").remove();
        showCommentCount(answer.comments);
        say("The comment was deleted.");
        if (text) {
          text.focus();
        }
      } catch (error) {
        say(error.message, true);
      }
    });
  }
})();
