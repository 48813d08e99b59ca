"""The admin of comments and digests."""
