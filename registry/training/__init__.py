"""Training lessons (/training): short pages for extension staff, farmers and businesses,
kept as Markdown files in registry/training/lessons so that they improve by pull request."""
