"""Streamlit helpers shared by app.py and the pages: the database handle, menu, language and access."""
