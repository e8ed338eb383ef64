"""The fixed names of a site folder, in a module that imports nothing.

config.py, links.py and content.py define what is in these files; the build
cache needs only where they are, and starts quicker for not loading them.
"""

CONFIG_FILE = "site.yaml"
CONTENT_ROOT = "content"
EMAIL_TEMPLATE = "email/newsletter.html"  # the theme file every issue's email is rendered from
