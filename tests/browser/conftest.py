"""The browser fixtures (browser, page, phone_page) are in tests/conftest.py, shared by every app."""
