"""One module per page; each calls ``dash.register_page`` when imported by ``app.create_app``."""
