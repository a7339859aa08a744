"""Raw items -> fixed-width float32 feature rows: `pixels` for images, `text` for documents."""
