"""The Textual front end. Importing this package stays cheap: no textual here, only in submodules."""
