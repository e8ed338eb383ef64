"""newpower-site: a static site generator for a newsletter and its members' voices."""

__version__ = "0.1.0"
