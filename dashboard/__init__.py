"""协同治理看板: the core, importable without Streamlit running."""
