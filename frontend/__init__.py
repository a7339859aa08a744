"""Browser pages: the annotator's labeling page and the admin's dashboard.

Views call the same services and selectors as the REST API; nothing here talks HTTP to it.
"""
