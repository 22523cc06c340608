"""The JSON API: django-ninja routers over the same services and selectors as the web pages."""
