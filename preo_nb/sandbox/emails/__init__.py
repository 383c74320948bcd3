"""Email messages: platform messages, organization templates and editions' own, with previews."""
