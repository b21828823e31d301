"""The Recap page: the tutorial's four takeaways, each a claim of a page's cached default run (claims)."""
