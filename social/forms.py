"""What people type: comments, digest choices."""
