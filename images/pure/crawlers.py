"""Link-preview crawlers: the programs chat apps and social sites send to read a pasted link's
page (its Open Graph tags) and image. Told apart by their user agent, which is cheap and good
enough for what it decides: whether an opening of a share link is counted (a preview is not
somebody looking at the photos). A crawler that hides is counted as a person; a person who
poses as one is not counted: neither opens anything the link does not open anyway."""

from __future__ import annotations

import re

# The user agents of the previewers people paste links into, as they announce themselves.
# Only names no browser's user agent carries (an in-app browser such as LINE's or Teams' is a
# person: not listed).
_CRAWLER = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-externalagent|Facebot|Twitterbot|Slackbot"
    r"|Slack-ImgProxy|WhatsApp|TelegramBot|Discordbot|LinkedInBot|SkypeUriPreview"
    r"|Iframely|Embedly|redditbot|Pinterestbot|Applebot|Google-?PageRenderer|Googlebot"
    r"|bingbot|Mastodon|vkShare|KakaoTalk-scrap|MicrosoftPreview|Mattermost-Bot"
    r"|Synapse \(bot|Bluesky Cardyb",
    re.IGNORECASE,
)


def is_link_previewer(user_agent: str) -> bool:
    """Whether ``user_agent`` announces a link-preview crawler (or a search engine's)."""
    return bool(user_agent) and _CRAWLER.search(user_agent) is not None
