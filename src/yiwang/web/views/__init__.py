"""Portal views: thin — parse the request, call a selector, render a template."""
