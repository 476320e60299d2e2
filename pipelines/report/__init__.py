"""The leadership report: narrative (Jinja2), Plotly charts and the offline HTML/PDF rendering."""
